"""ASGI entry point: `uvicorn app.main:app` from `backend/`."""

from fastapi import FastAPI


def create_app() -> FastAPI:
    """Build the application; tests call this to get a fresh app per case."""
    app = FastAPI(title="backend")

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    return app


app = create_app()
