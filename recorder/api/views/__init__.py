"""REST API views: they authenticate, read the request through serializers, call
``recorder.services`` and shape the answer; they hold no logic of their own."""
