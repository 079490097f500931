"""The backend package: a FastAPI app with authentication built in."""
