"""The web API (issue #10): a FastAPI app over one Store it owns; routes call services only."""
