"""Dashboard users and their roles, digest settings, and the sign-in throttle's counts. What a role may
do and when a name is locked out are ``monitor.users``' rules: the throttle receives its rule."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from sqlalchemy import delete, select

from monitor.errors import WorkflowError
from monitor.i18n import N_
from monitor.records import ADMIN_ACTOR, SIGN_IN_ACTOR, Failures, valid_text
from monitor.storage import audit
from monitor.storage.chain import AuditChain
from monitor.storage.database import Database, to_record
from monitor.storage.models import SignInFailureRow, UserRow
from monitor.stored import Account

# rule(the counts so far, the kind of key) -> the counts after one more failure
FailureRule = Callable[[Failures, str], Failures]


def _failure_key(kind: str, key: str) -> tuple[str, str]:
    return kind, valid_text(key)[:200]


class Accounts:
    """Users and sign-in failures."""

    def __init__(self, db: Database, chain: AuditChain) -> None:
        self.db, self.chain = db, chain

    def add_user(
        self,
        name: str,
        role: str,
        password_hash: str,
        now: datetime,
        *,
        replace: bool = False,
        actor: str = ADMIN_ACTOR,
        language: str | None = None,
    ) -> bool:
        """Create a user, or (with ``replace``) set an existing user's role and password; True if new.
        ``language``: their interface language (a new user without one gets Hebrew; an existing user's
        is changed only when given). The name is stored as given: check it first
        (``monitor.actions.add_user`` does)."""
        name = valid_text(name)  # the name as the users table will hold it
        with self.db.session() as s:
            row = s.scalar(select(UserRow).where(UserRow.name == name))
            if row is not None and not replace:
                raise WorkflowError(
                    N_("user {name!r} exists: add --replace to change their role or password"), name=name
                )
            created = row is None
            if row is None:
                row = UserRow(name=name, language="he", digest=False, disabled=False, created_at=now)
                s.add(row)
            row.role, row.password_hash, row.disabled = role, password_hash, False
            if language is not None:
                row.language = language
            self.chain.append(
                s,
                now,
                actor,
                "user_add" if created else "user_change",
                None,
                {"user": name, "role": role},
                {"user": audit.row_seals("user", [row])},
            )
            return created

    def set_user_disabled(
        self, name: str, disabled: bool, now: datetime, *, actor: str = ADMIN_ACTOR
    ) -> None:
        """Disable a user (they can no longer sign in or act) or enable them again; enabling also lifts
        a sign-in lockout of their name. Audited."""
        with self.db.session() as s:
            row = s.scalar(select(UserRow).where(UserRow.name == valid_text(name)))
            if row is None:
                raise WorkflowError(N_("no user {name!r}: see `repmon user list`"), name=name)
            row.disabled = disabled
            if not disabled:
                s.execute(
                    delete(SignInFailureRow).where(
                        SignInFailureRow.kind == "user", SignInFailureRow.key == row.name
                    )
                )
            self.chain.append(
                s, now, actor, "user_disable" if disabled else "user_enable", None, {"user": row.name}
            )

    # -- the sign-in throttle ----------------------------------------------------------------------
    def sign_in_failures(self, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], Failures]:
        """The failed sign-ins counted against each (kind, key): ("user", name) or ("address", ip)."""
        out = {}
        with self.db.session() as s:
            for kind, key in keys:
                kind, key = _failure_key(kind, key)
                row = s.scalar(
                    select(SignInFailureRow).where(SignInFailureRow.kind == kind, SignInFailureRow.key == key)
                )
                out[(kind, key)] = Failures(row.count, row.last_at, row.locked_until) if row else Failures()
        return out

    def record_sign_in_failure(
        self, keys: Sequence[tuple[str, str]], now: datetime, rule: FailureRule
    ) -> dict[tuple[str, str], Failures]:
        """Count one failed sign-in against each (kind, key), in one transaction, as ``rule`` counts it
        (``monitor.users.after_failure``: a user name's count locks it; a lockout is written to the
        audit chain); the new counts."""
        out = {}
        with self.db.session() as s:
            for kind, key in keys:
                kind, key = _failure_key(kind, key)
                # Make sure the row exists, then lock it: two failures at once both count.
                s.execute(
                    self.db.insert(SignInFailureRow)
                    .values(kind=kind, key=key, count=0)
                    .on_conflict_do_nothing(index_elements=["kind", "key"])
                )
                row = s.scalars(
                    select(SignInFailureRow)
                    .where(SignInFailureRow.kind == kind, SignInFailureRow.key == key)
                    .with_for_update()
                ).one()
                was_locked = row.locked_until is not None and now < row.locked_until
                new = rule(Failures(row.count, row.last_at, row.locked_until), kind)
                row.count, row.last_at, row.locked_until = new.count, new.last_at, new.locked_until
                out[(kind, key)] = new
                if new.locked_until is not None and not was_locked:
                    detail = {"user": key, "failures": new.count, "until": new.locked_until.isoformat()}
                    self.chain.append(s, now, SIGN_IN_ACTOR, "sign_in_lockout", None, detail)
        return out

    def clear_sign_in_failures(self, keys: Sequence[tuple[str, str]]) -> None:
        """Forget the failed sign-ins counted against each (kind, key) (after a successful sign-in)."""
        with self.db.session() as s:
            for kind, key in keys:
                kind, key = _failure_key(kind, key)
                s.execute(
                    delete(SignInFailureRow).where(SignInFailureRow.kind == kind, SignInFailureRow.key == key)
                )

    def user(self, name: str) -> Account | None:
        """A user (with the password hash, for checking a sign-in), or None."""
        with self.db.session() as s:
            r = s.scalar(select(UserRow).where(UserRow.name == valid_text(name)))
            return to_record(Account, r) if r else None

    def users(self) -> list[Account]:
        """Every user, by name, without password hashes."""
        with self.db.session() as s:
            q = select(UserRow).order_by(UserRow.name)
            return [to_record(Account, r, password_hash=None) for r in s.scalars(q)]

    def set_digest_prefs(
        self, name: str, email: str | None, language: str, digest: bool, actor: str, now: datetime
    ) -> None:
        """A user's daily-digest address, language and whether they get it; audited."""
        with self.db.session() as s:
            r = s.scalar(select(UserRow).where(UserRow.name == valid_text(name)))
            if r is None:
                raise WorkflowError(N_("no user {name!r}"), name=name)
            r.email, r.language, r.digest = email, language, digest
            self.chain.append(
                s,
                now,
                actor,
                "digest_settings",
                None,
                {"user": name, "email": email, "language": language, "digest": digest},
            )

    def set_user_language(self, name: str, language: str, actor: str, now: datetime) -> None:
        """A user's interface language (the dashboard's and their e-mails'); audited."""
        with self.db.session() as s:
            r = s.scalar(select(UserRow).where(UserRow.name == valid_text(name)))
            if r is None:
                raise WorkflowError(N_("no user {name!r}"), name=name)
            r.language = language
            self.chain.append(s, now, actor, "language_settings", None, {"user": name, "language": language})

    # -- e-mail deliveries -----------------------------------------------------------------------
