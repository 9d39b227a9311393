"""`tocsin keys create|rotate|export|list`: an organisation's signing and encryption keys."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from tocsin.cli.common import fail, out, print_json, print_table, t
from tocsin.cli.evidence import open_locker, run_or_fail

app = typer.Typer(no_args_is_help=True, help="Organisation keys: Ed25519 signing, AES-256 "
                                             "encryption. Set TOCSIN_MASTER_KEY to protect them.")

AsUser = Annotated[str | None, typer.Option("--as", envvar="TOCSIN_USER",
                                            help="Acting user (an admin).")]


@app.command()
def create(ctx: typer.Context, as_user: AsUser = None) -> None:
    """Create the acting admin's organisation's first keys (and sign them into the log)."""
    key_id = run_or_fail(lambda: open_locker(ctx).create_keys(as_user or ""))
    out.print(t("keys.created_signing_key", key_id=key_id))


@app.command()
def rotate(ctx: typer.Context, as_user: AsUser = None) -> None:
    """Make new keys; the old signing key signs the new one in and stays for verification."""
    key_id = run_or_fail(lambda: open_locker(ctx).rotate_keys(as_user or ""))
    out.print(t("keys.rotated_signing_key_now", key_id=key_id))


@app.command("list")
def list_keys(
    ctx: typer.Context,
    org: Annotated[str | None, typer.Option(help="Only this organisation.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """List public signing keys, retired ones included."""
    keys = run_or_fail(lambda: open_locker(ctx).public_keys(org))
    if as_json:
        print_json(keys)
        return
    table = Table(t("keys.key_id"), t("keys.organisation"), t("keys.created"), t("keys.retired"),
                  title=t("keys.signing_keys"))
    for key in keys:
        table.add_row(key["key_id"], key["organisation"], str(key["created_at"])[:19],
                      str(key["retired_at"] or "")[:19])
    print_table(table)


@app.command()
def export(
    ctx: typer.Context,
    org: Annotated[str | None, typer.Option(help="Only this organisation.")] = None,
    output: Annotated[Path | None, typer.Option("--out", help="Write PEM here (default stdout).")]
    = None,
) -> None:
    """Export public keys as PEM, to publish where others can check signatures against them."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    from tocsin.lake import atomic_write_text

    keys = run_or_fail(lambda: open_locker(ctx).public_keys(org))
    if not keys:
        fail(t("keys.no_keys_export") + (t("keys.for", org=org) if org else ""))
    blocks = []
    for key in keys:
        pem = Ed25519PublicKey.from_public_bytes(bytes.fromhex(key["public_key"])).public_bytes(
            Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode("ascii")
        status = f"retired {key['retired_at']}" if key["retired_at"] else "in use"
        blocks.append(f"# {key['organisation']} key {key['key_id']} ({status})\n{pem}")
    text = "".join(blocks)
    if output is None:
        typer.echo(text, nl=False)
    else:
        try:
            atomic_write_text(output, text)
        except OSError as exc:
            fail(t("keys.cannot_write", output=output, exc=exc))
        out.print(t("keys.wrote_public_keys", n_keys=len(keys), output=output))
