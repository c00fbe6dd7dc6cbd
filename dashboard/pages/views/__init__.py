"""Function views of the dashboard, one module per area."""
