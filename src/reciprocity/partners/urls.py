from django.urls import path

from reciprocity.partners import views

urlpatterns = [
    path("pipeline/", views.pipeline, name="pipeline"),
]
