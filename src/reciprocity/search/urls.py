from django.urls import path

from reciprocity.search import views

urlpatterns = [path("search/", views.search_page, name="search")]
