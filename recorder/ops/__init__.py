"""Operating the service: health, Prometheus metrics, structured logs (docs/deployment.md)."""
