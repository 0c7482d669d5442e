"""Several database hosts in one URL reach every connection Croupier opens, not only SQLAlchemy's."""

from __future__ import annotations

from psycopg.conninfo import conninfo_to_dict

from croupier.kit.embedded import libpq_conninfo
from croupier.kit.jobs import conninfo


def test_a_multi_host_url_becomes_libpq_hosts_and_ports_in_the_same_order() -> None:
    url = "postgresql+psycopg://app:s3cret@/croupier?host=db-a:5432&host=db-b:5433&target_session_attrs=read-write"
    for converted in (libpq_conninfo(url), conninfo(url)):
        params = conninfo_to_dict(converted)
        assert params["host"] == "db-a,db-b"
        assert params["port"] == "5432,5433"
        assert params["target_session_attrs"] == "read-write"
        assert params["dbname"] == "croupier"
        assert params["password"] == "s3cret"


def test_a_single_host_url_keeps_its_host_port_and_credentials() -> None:
    params = conninfo_to_dict(libpq_conninfo("postgresql://app:p%40ss@db:6543/casino"))
    assert (params["host"], params["port"], params["user"], params["password"], params["dbname"]) == (
        "db",
        "6543",
        "app",
        "p@ss",
        "casino",
    )
