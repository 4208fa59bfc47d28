"""The example service files are valid: systemd units by `systemd-analyze verify`, the nginx
site by `nginx -t` (each skipped where the tool is missing)."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze")
@pytest.mark.parametrize("unit", sorted(p.name for p in (DEPLOY / "systemd").iterdir()), ids=str)
def test_systemd_unit_verifies(unit: str, tmp_path: Path) -> None:
    text = (DEPLOY / "systemd" / unit).read_text(encoding="utf-8")
    # the paths of a real installation do not exist here: point them at this checkout's venv
    venv_bin = Path(sys.executable).parent
    text = text.replace("/opt/cebot/.venv/bin/", f"{venv_bin}/")
    text = text.replace("User=cebot", "User=root").replace("Group=cebot", "Group=root")
    text = text.replace("/usr/bin/pg_dump", shutil.which("pg_dump") or "/usr/bin/true")
    name = unit.replace("@.service", "@8081.service")
    (tmp_path / name).write_text(text, encoding="utf-8")
    if name.endswith(".timer"):
        service = name.replace(".timer", ".service")
        source = (DEPLOY / "systemd" / service).read_text(encoding="utf-8")
        (tmp_path / service).write_text(
            source.replace("/usr/bin/pg_dump", shutil.which("pg_dump") or "/usr/bin/true"),
            encoding="utf-8",
        )
    result = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", str(tmp_path / name)],
        capture_output=True,
        text=True,
        check=False,
    )
    # only problems in our unit count (the host's own units may be incomplete in a container)
    ours = [
        line
        for line in (result.stdout + result.stderr).splitlines()
        if name in line or "cebot" in line
    ]
    assert not ours, ours


def _self_signed(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "bot.example.gov.cn")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cebot.pem", folder / "cebot.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@pytest.mark.skipif(shutil.which("nginx") is None, reason="no nginx")
def test_nginx_site_passes_nginx_t(tmp_path: Path) -> None:
    cert, key = _self_signed(tmp_path)
    site = (DEPLOY / "nginx" / "cebot.conf").read_text(encoding="utf-8")
    site = site.replace("/etc/ssl/certs/cebot.pem", str(cert))
    site = site.replace("/etc/ssl/private/cebot.key", str(key))
    (tmp_path / "cebot.conf").write_text(site, encoding="utf-8")
    (tmp_path / "logs").mkdir()
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/logs/error.log;\n"
        "events {}\n"
        f"http {{\n  access_log off;\n  include {tmp_path}/cebot.conf;\n}}\n",
        encoding="utf-8",
    )
    result = subprocess.run(
        ["nginx", "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "syntax is ok" in result.stderr
