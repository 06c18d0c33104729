from ninja import NinjaAPI

api = NinjaAPI(title="Reciprocity API", version="1", urls_namespace="api")
