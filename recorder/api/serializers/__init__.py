"""Request and response shapes of the REST API; fields are listed explicitly, never ``__all__``."""
