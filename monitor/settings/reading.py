"""Where the values come from: the environment first, then the TOML file ``REPMON_CONFIG`` (default
``repmon.toml`` in the working directory, if present), then the default. Tokens come from the environment
or from ``REPMON_SECRETS_FILE`` (a TOML file only its owner may read), never from the TOML file.

``read()`` reads all of it once into a ``Snapshot``; the typed settings are built from one snapshot.
"""

from __future__ import annotations

import difflib
import os
import stat
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from monitor.errors import ConfigError
from monitor.settings.fields import BY_NAME, SECRETS, SETTINGS


def environment() -> dict[str, str]:
    """The ``REPMON_*`` variables of this process's environment."""
    return {k: v for k, v in os.environ.items() if k.startswith("REPMON_")}


def _check_environment(env: Mapping[str, str]) -> None:
    for name in env:
        if name not in BY_NAME:
            near = difflib.get_close_matches(name, BY_NAME, n=1)
            hint = f" (did you mean {near[0]}?)" if near else ""
            raise ConfigError(f"unknown setting {name}{hint}: see `repmon settings` for the list")


def config_path(env: Mapping[str, str]) -> Path:
    return Path(env.get("REPMON_CONFIG", "repmon.toml"))


def file_values(env: Mapping[str, str]) -> dict[str, str]:
    """The settings in the TOML file, by their REPMON_* name ({} when there is no file, or when
    REPMON_CONFIG is set empty: no settings file, not even ./repmon.toml)."""
    if not env.get("REPMON_CONFIG", "repmon.toml").strip():
        return {}
    path = config_path(env)
    if not path.is_file():
        if "REPMON_CONFIG" in env:
            what = "a folder" if path.is_dir() else "does not exist"
            raise ConfigError(f"REPMON_CONFIG names {path}, which {'is ' if path.is_dir() else ''}{what}: "
                              "fix or unset it")  # fmt: skip
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc}): fix the file or unset REPMON_CONFIG") from exc
    except OSError as exc:
        raise ConfigError(
            f"cannot read the settings file {path} ({exc.strerror}): fix or unset REPMON_CONFIG"
        ) from None
    out = {}
    for key, value in data.items():
        name = key.upper() if key.upper().startswith("REPMON_") else f"REPMON_{key.upper()}"
        if name not in BY_NAME:
            raise ConfigError(f"{path}: unknown setting {key!r}; known: {', '.join(sorted(BY_NAME))}")
        if name in SECRETS:
            raise ConfigError(
                f"{path}: {key!r} is a token: put it in the environment or in REPMON_SECRETS_FILE, "
                "not in the configuration file"
            )
        out[name] = str(value).lower() if isinstance(value, bool) else str(value)
    return out


def secrets_path(env: Mapping[str, str], from_file: Mapping[str, str]) -> Path | None:
    path = env.get("REPMON_SECRETS_FILE") or from_file.get("REPMON_SECRETS_FILE", "")
    return Path(path).expanduser() if path.strip() else None


def read_secrets(file: Path | None) -> dict[str, object]:
    """The tokens in the secrets file ({} when there is none). ``ConfigError`` when it is missing, a
    folder, unreadable, not TOML, or readable by anyone but its owner: tokens in a file others can read
    are no longer secret, so repmon refuses it rather than warn (fix: ``chmod 600 FILE``)."""
    if file is None:
        return {}
    try:
        info = file.stat()
    except FileNotFoundError:
        raise ConfigError(
            f"REPMON_SECRETS_FILE names {file}, which does not exist: fix or unset it"
        ) from None
    except OSError as exc:
        raise ConfigError(
            f"REPMON_SECRETS_FILE {file}: cannot read it ({exc.strerror}): fix the path"
        ) from None
    if stat.S_ISDIR(info.st_mode):
        raise ConfigError(
            f"REPMON_SECRETS_FILE names {file}, which is a folder: name the TOML file of tokens instead"
        )
    if os.name == "posix" and info.st_mode & 0o077:
        raise ConfigError(
            f"REPMON_SECRETS_FILE {file} may be read by other users (mode {stat.S_IMODE(info.st_mode):04o}): "
            f"run `chmod 600 {file}`; repmon will not use tokens others can read"
        )
    try:
        tokens = tomllib.loads(file.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(
            f"{file}: not valid TOML ({exc.__class__.__name__}): fix the secrets file"
        ) from None
    except OSError as exc:
        raise ConfigError(
            f"REPMON_SECRETS_FILE {file}: cannot read it ({exc.strerror}): make it readable by the user "
            "who runs repmon, and only by them (chmod 600)"
        ) from None
    _check_secret_keys(file, tokens)
    return tokens


def _check_secret_keys(file: Path, tokens: Mapping[str, object]) -> None:
    """A key that names no token (a typo: ``x_bearer_tokn``) would leave its token silently unset, and the
    monitor polling nothing, or the demo stream: it is refused by name (the value is never shown)."""
    names = [n.removeprefix("REPMON_").lower() for n in SECRETS]
    for key in tokens:
        if key in names or key in SECRETS:
            continue
        near = difflib.get_close_matches(key.removeprefix("REPMON_").lower(), names, n=1)
        hint = f" (did you mean {near[0]}?)" if near else ""
        raise ConfigError(
            f"{file}: {key!r} is not a token{hint}: the secrets file holds only {', '.join(names)}; "
            "other settings go in the environment or REPMON_CONFIG"
        )


@dataclass(frozen=True)
class Snapshot:
    """Every setting's value as text and where it came from, read once. ``values`` holds the tokens too
    (from the environment, else the secrets file; never shown). ``secrets_error``: why the secrets file
    cannot be used (its tokens are then left out), or None."""

    values: Mapping[str, str]
    origins: Mapping[str, str]
    secrets_error: str | None = None


def read() -> Snapshot:
    """Read the environment, the settings file and the secrets file, once. ``ConfigError`` for an
    unknown REPMON_* variable and for a settings file that cannot be used."""
    env = environment()
    _check_environment(env)
    from_file = file_values(env)
    secrets_file = secrets_path(env, from_file)
    try:
        tokens, secrets_error = read_secrets(secrets_file), None
    except ConfigError as exc:
        tokens, secrets_error = {}, str(exc)
    values, origins = {}, {}
    for s in SETTINGS:
        if s.name in SECRETS:
            if env.get(s.name, "").strip():
                values[s.name], origins[s.name] = env[s.name].strip(), "environment"
            else:
                short = s.name.removeprefix("REPMON_").lower()
                values[s.name] = str(tokens.get(short, tokens.get(s.name, ""))).strip()
                origins[s.name] = f"secrets file {secrets_file}" if secrets_file else "not set"
        elif s.name in env:
            values[s.name], origins[s.name] = env[s.name], "environment"
        elif s.name in from_file:
            values[s.name], origins[s.name] = from_file[s.name], f"settings file {config_path(env)}"
        else:
            values[s.name], origins[s.name] = s.default, "default"
    return Snapshot(values, origins, secrets_error)
