"""S3 credential providers (the reference's shardyfusion/credentials.py)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Protocol, runtime_checkable


@dataclass(slots=True, frozen=True)
class S3Credentials:
    access_key_id: str | None = None
    secret_access_key: str | None = None
    session_token: str | None = None


@runtime_checkable
class CredentialProvider(Protocol):
    def resolve(self) -> S3Credentials: ...


@dataclass(slots=True, frozen=True)
class StaticCredentialProvider:
    access_key_id: str | None = None
    secret_access_key: str | None = None
    session_token: str | None = None

    def resolve(self) -> S3Credentials:
        return S3Credentials(self.access_key_id, self.secret_access_key, self.session_token)


@dataclass(slots=True, frozen=True)
class EnvCredentialProvider:
    """S3_* first, then AWS_*, per field."""

    def resolve(self) -> S3Credentials:
        def get(name: str) -> str | None:
            return os.environ.get(f"S3_{name}") or os.environ.get(f"AWS_{name}") or None

        return S3Credentials(get("ACCESS_KEY_ID"), get("SECRET_ACCESS_KEY"), get("SESSION_TOKEN"))
