"""The ceph.conf of a one-node Ceph cluster behind radosgw (standard library only), shared by
tools/deploy.py (the production stack on one machine) and tools/rgwserver.py (the throw-away test
cluster). What both need is here; each adds its own lines per section (the object store, logging,
admin sockets, timing).

Loopback only and authentication "none": nothing but radosgw on the same machine talks to the
cluster. One OSD, so pools of size 1 and a CRUSH rule that chooses OSDs, not hosts.
"""

from __future__ import annotations

from pathlib import Path

SECTIONS = ("global", "mon", "osd", "rgw")

COMMON = {
    "global": (
        "fsid = {fsid}",
        "mon host = v2:{host}:{mon_port}",
        "mon initial members = a",
        "public addr = {host}",
        "ms bind msgr1 = false",
        "ms bind msgr2 = true",
        "ms bind ipv6 = false",
        "auth cluster required = none",
        "auth service required = none",
        "auth client required = none",
        '# radosgw asks for "secure" monitor connections by default, which auth "none" cannot provide',
        "ms mon client mode = crc secure",
        "run dir = {dir}/run",
        "log file = {dir}/log/$name.log",
        "osd pool default size = 1",
        "osd pool default min size = 1",
        "osd pool default pg num = 8",
        "osd pool default pgp num = 8",
        "osd pool default pg autoscale mode = off",
        "osd crush chooseleaf type = 0",
        "mon allow pool size one = true",
        "mon warn on pool no redundancy = false",
        "mon max pg per osd = 1000",
    ),
    "mon": ("mon data = {dir}/mon.$id",),
    "osd": ("osd data = {dir}/osd.$id",),
    "rgw": ("rgw frontends = beast endpoint={host}:{rgw_port}", "rgw data = {dir}/rgw"),
}


def ceph_conf(
    *,
    header: str,
    fsid: str,
    host: str,
    mon_port: int,
    rgw_port: int,
    directory: Path | str,
    rgw_name: str,
    extra: dict[str, tuple[str, ...]],
) -> str:
    """The file's text. `header`: the comment on top (one line or more, without "#"); `extra`: lines
    added to a section ("global", "mon", "osd" or "rgw"), with the same {placeholders} as COMMON
    ({fsid}, {host}, {mon_port}, {rgw_port}, {dir})."""
    unknown = set(extra) - set(SECTIONS)
    if unknown:
        raise ValueError(f"no such ceph.conf section: {sorted(unknown)}")
    values = {"fsid": fsid, "host": host, "mon_port": mon_port, "rgw_port": rgw_port, "dir": directory}
    lines = [f"# {line}" for line in header.splitlines()]
    for section in SECTIONS:
        if section != "global":
            lines.append("")
        lines.append(f"[{rgw_name if section == 'rgw' else section}]")
        lines += [line.format(**values) for line in (*COMMON[section], *extra.get(section, ()))]
    return "\n".join(lines) + "\n"
