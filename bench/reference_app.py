"""Peer for the PostgreSQL read benchmark: the read path of the reference full-stack FastAPI
template (its backend at commit 68adb40), rebuilt here so that `make bench` fetches nothing.

Its shape, kept: `GET /api/v1/users/me` in a `users` router included in an `api_router` under
`/api/v1`; the token from `Depends(OAuth2PasswordBearer)`; a python-jose decode of it on every
request (HS256, the default options, the payload parsed into a pydantic model); a session per
request from a generator dependency (`with Session(engine) as session: yield session`) on an
engine with the default pool (no pre-ping); `session.get(User, sub)`, which on PostgreSQL sends
BEGIN, SELECT and, when the session closes, ROLLBACK; plain `def` dependencies and endpoint;
`response_model` serialisation; and the CORS middleware the template adds (all methods and
headers, credentials). Left out: the template's other routes (which a request to /users/me would
also be matched against) and its `is_active` check (the bake's table has no such column); both
make this peer a little faster than the original, not slower.

It reads the bake's own `users` table, with the same FastAPI, SQLAlchemy and psycopg. The key
comes from the environment at run time. Import with the template root on PYTHONPATH.
"""

from __future__ import annotations

import os
import time
from collections.abc import Generator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, HTTPException, status
from fastapi.middleware.cors import CORSMiddleware
from fastapi.security import OAuth2PasswordBearer
from jose import JWTError, jwt
from pydantic import BaseModel, ValidationError
from sqlalchemy import String, create_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

KEY_VARIABLE = "BENCH_REFERENCE_SECRET"
ALGORITHM = "HS256"
API_PREFIX = "/api/v1"
ME_PATH = f"{API_PREFIX}/users/me"
HEALTH_PATH = f"{API_PREFIX}/utils/health-check/"
CORS_ORIGINS = ["http://localhost", "http://localhost:5173"]


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    email: Mapped[str] = mapped_column(String(320))


class UserPublic(BaseModel):
    id: str
    email: str


class TokenPayload(BaseModel):
    sub: str | None = None


def mint(secret: str, subject: str, lifetime_seconds: int = 3600) -> str:
    """A token as the template's `create_access_token` makes it: `exp` and `sub` only."""
    return jwt.encode(
        {"exp": int(time.time()) + lifetime_seconds, "sub": subject}, secret, ALGORITHM
    )


engine = create_engine(os.environ.get("DATABASE_URL", "sqlite://"))
reusable_oauth2 = OAuth2PasswordBearer(tokenUrl=f"{API_PREFIX}/login/access-token")


def get_db() -> Generator[Session, None, None]:
    with Session(engine) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_db)]
TokenDep = Annotated[str, Depends(reusable_oauth2)]


def get_current_user(session: SessionDep, token: TokenDep) -> User:
    try:
        payload = jwt.decode(token, os.environ[KEY_VARIABLE], algorithms=[ALGORITHM])
        token_data = TokenPayload(**payload)
    except (JWTError, ValidationError):
        raise HTTPException(
            status_code=status.HTTP_403_FORBIDDEN, detail="Could not validate credentials"
        ) from None
    user = session.get(User, token_data.sub)
    if not user:
        raise HTTPException(status_code=404, detail="User not found")
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]

users = APIRouter(prefix="/users", tags=["users"])
utils = APIRouter(prefix="/utils", tags=["utils"])


@users.get("/me", response_model=UserPublic)
def read_user_me(current_user: CurrentUser) -> Any:
    return current_user


@utils.get("/health-check/")
async def health_check() -> bool:
    return True


api_router = APIRouter()
api_router.include_router(utils)
api_router.include_router(users)

app = FastAPI(title="reference", openapi_url=f"{API_PREFIX}/openapi.json")
app.add_middleware(
    CORSMiddleware,
    allow_origins=CORS_ORIGINS,
    allow_credentials=True,
    allow_methods=["*"],
    allow_headers=["*"],
)
app.include_router(api_router, prefix=API_PREFIX)
