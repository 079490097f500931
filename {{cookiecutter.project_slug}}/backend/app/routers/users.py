"""The signed-in user's own account."""

from fastapi import APIRouter

from app.deps import CurrentUser
from app.schemas import MeOut

router = APIRouter(prefix="/users", tags=["users"])


@router.get("/me")
async def read_me(user: CurrentUser) -> MeOut:
    # The lookup already ran in a worker thread (CurrentUser); shaping the answer needs none.
    return MeOut.model_validate(user)
