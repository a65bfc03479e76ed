"""Dataset search without Solr (the `odata_search` plugin) through the portal's real HTTP API.

One module-wide set of datasets: two organizations, three public and two private datasets
with tags, resources of several formats and licences, and a member of the first organization.
Every search is scoped to these two organizations, so other tests' datasets never interfere.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import ckanapi
import pytest

from .datasets import bilingual_dataset, bilingual_resource

pytestmark = pytest.mark.integration


def dataset_dict(
    name: str,
    org: str,
    *,
    title: str | None = None,
    notes: str = "",
    tags: Sequence[str] = (),
    resources: list[dict[str, Any]] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A dataset valid under the portal's bilingual schema, with these texts, tags, resources."""
    title = title or name
    notes = notes or title
    dataset = bilingual_dataset(
        name,
        org,
        title_translated={"it": title, "en": title},
        notes_translated={"it": notes, "en": notes},
        tags_translated={"it": list(tags), "en": list(tags)},
        **{"contact": [{"name": "Ufficio di prova", "email": "prova@example.org"}], **extra},
    )
    if resources is not None:
        dataset["resources"] = resources
    return dataset


def resource(fmt: str, name: str) -> dict[str, Any]:
    """A resource whose texts match none of the words the tests search for."""
    text = {"it": f"File {name}", "en": f"File {name}"}
    return bilingual_resource(name, fmt, name_translated=text, description_translated=text)


@dataclass
class World:
    """What the module created, and clients for the three kinds of user."""

    uid: str
    org_a: dict[str, Any]
    org_b: dict[str, Any]
    datasets: dict[str, dict[str, Any]]
    admin: ckanapi.RemoteCKAN
    member: ckanapi.RemoteCKAN
    anonymous: ckanapi.RemoteCKAN
    url: str

    def name(self, short: str) -> str:
        return f"odata-test-{self.uid}-{short}"

    @property
    def scope(self) -> str:
        return f"organization:({self.org_a['name']} OR {self.org_b['name']})"

    def search(self, client: ckanapi.RemoteCKAN, fq: str = "", **params: Any) -> dict[str, Any]:
        """package_search limited to this module's organizations."""
        result: dict[str, Any] = client.action.package_search(
            fq=f"{self.scope} {fq}".strip(), **params
        )
        return result

    def names(self, client: ckanapi.RemoteCKAN | None = None, **params: Any) -> list[str]:
        """Short names ("alpha", ...) of the datasets found, in the order returned."""
        result = self.search(client or self.anonymous, **params)
        prefix = f"odata-test-{self.uid}-"
        return [r["name"].removeprefix(prefix) for r in result["results"]]


# Licence ids that exist both in CKAN's default list and in the portal's own (licenses.json).
DATASETS: dict[str, dict[str, Any]] = {
    "alpha": {
        "org": "a",
        "title": "Alfa imprese straniere",
        "notes": "Registro delle imprese",
        "tags": ["imprese", "migranti"],
        "formats": ["CSV", "JSON"],
        "license_id": "odc-by",
    },
    "beta": {
        "org": "a",
        "title": "Beta Città metropolitane",
        "notes": "Dati per comune",
        "tags": ["imprese", "territorio"],
        "formats": ["CSV", "CSV", "XLSX"],
        "license_id": "odc-by",
    },
    "gamma": {
        "org": "b",
        "title": "gamma eventi",
        "notes": "Calendario degli incontri con le camere di commercio",
        "tags": ["eventi"],
        "formats": ["XLSX"],
        "license_id": "odc-odbl",
    },
    "secret-a": {
        "org": "a",
        "title": "Riservato A",
        "notes": "Solo per i membri",
        "tags": ["imprese", "riservato"],
        "formats": ["CSV"],
        "license_id": "odc-by",
        "private": True,
    },
    "secret-b": {
        "org": "b",
        "title": "Riservato B",
        "notes": "Solo per i membri",
        "tags": ["eventi"],
        "formats": ["CSV"],
        "license_id": "odc-odbl",
        "private": True,
    },
}
PUBLIC = ["alpha", "beta", "gamma"]


def _create_dataset(
    admin: ckanapi.RemoteCKAN, name: str, org_id: str, spec: dict[str, Any]
) -> dict[str, Any]:
    return admin.action.package_create(
        **dataset_dict(
            name,
            org_id,
            title=spec["title"],
            notes=spec["notes"],
            tags=spec["tags"],
            resources=[resource(fmt, f"r{i}") for i, fmt in enumerate(spec["formats"])],
            license_id=spec["license_id"],
            private=spec.get("private", False),
        )
    )


@pytest.fixture(scope="module")
def world(portal: Any, ckan: ckanapi.RemoteCKAN) -> Iterator[World]:
    uid = uuid.uuid4().hex
    prefix = f"odata-test-{uid}"
    created: list[str] = []
    orgs: list[str] = []
    user_name = f"{prefix}-member"
    user_created = False
    anonymous = ckanapi.RemoteCKAN(portal.url, user_agent="odata-tests")
    member: ckanapi.RemoteCKAN | None = None
    try:
        org_a = ckan.action.organization_create(name=f"{prefix}-org-a", title="Camera A")
        orgs.append(org_a["id"])
        org_b = ckan.action.organization_create(name=f"{prefix}-org-b", title="Camera B")
        orgs.append(org_b["id"])
        datasets: dict[str, dict[str, Any]] = {}
        for short, spec in DATASETS.items():
            org = org_a if spec["org"] == "a" else org_b
            datasets[short] = _create_dataset(ckan, f"{prefix}-{short}", org["id"], spec)
            created.append(datasets[short]["id"])
        ckan.action.user_create(
            name=user_name, email=f"{user_name}@example.org", password=f"Pw-{uid}"
        )
        user_created = True
        ckan.action.organization_member_create(id=org_a["id"], username=user_name, role="member")
        token = ckan.action.api_token_create(user=user_name, name="search-tests")["token"]
        member = ckanapi.RemoteCKAN(portal.url, apikey=token, user_agent="odata-tests")
        yield World(uid, org_a, org_b, datasets, ckan, member, anonymous, portal.url)
    finally:
        for dataset_id in created:
            ckan.action.dataset_purge(id=dataset_id)
        for org_id in orgs:
            ckan.action.organization_purge(id=org_id)
        if user_created:
            ckan.action.user_delete(id=user_name)
        anonymous.close()
        if member is not None:
            member.close()


def http_status(url: str, data: dict[str, Any] | None = None) -> tuple[int, dict[str, Any]]:
    """Status and JSON body (empty for HTML pages) of a GET, or of a POST when data is given."""
    body = json.dumps(data).encode() if data is not None else None
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            status, payload = int(response.status), response.read()
    except urllib.error.HTTPError as error:
        status, payload = error.code, error.read()
        error.close()
    is_json = data is not None or "/api/" in url
    return status, json.loads(payload) if is_json else {}


# -- free text and fielded q ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("IMPRESE", ["alpha", "beta"]),  # case-insensitive; title, notes or tags
        ("citta", ["beta"]),  # accents folded, in the title
        ("incontri", ["gamma"]),  # notes
        ("migranti", ["alpha"]),  # tag
        ("imprese comune", ["beta"]),  # every word must match, in any field
        ('"camere di commercio"', ["gamma"]),  # phrase
        ("", ["alpha", "beta", "gamma"]),
        ("*:*", ["alpha", "beta", "gamma"]),
        ("nessuna-corrispondenza", []),
        ("tags:migranti", ["alpha"]),
        ("res_format:JSON", ["alpha"]),
        ("license_id:odc-odbl", ["gamma"]),
        ("title:città", ["beta"]),
        ("tags:imprese -tags:migranti", ["beta"]),
    ],
)
def test_q_matches_words_and_fields(world: World, q: str, expected: list[str]) -> None:
    assert world.names(q=q, sort="name asc") == expected


def test_q_matches_dataset_name_and_organization(world: World) -> None:
    assert world.names(q=f"{world.uid}-gamma") == ["gamma"]
    assert world.names(q=f"name:{world.name('beta')}") == ["beta"]
    assert world.names(q=f"organization:{world.org_b['name']}") == ["gamma"]


def test_relevance_ranks_title_matches_first(world: World) -> None:
    # beta is newer but only tagged "imprese"; alpha has it in title, notes and tags
    assert world.names(q="imprese") == ["alpha", "beta"]


# -- filters -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fq", "expected"),
    [
        ("tags:imprese", ["alpha", "beta"]),
        ('+tags:"imprese"', ["alpha", "beta"]),
        ("-tags:imprese", ["gamma"]),
        ("tags:(migranti OR eventi)", ["alpha", "gamma"]),
        ('res_format:"XLSX"', ["beta", "gamma"]),
        ("license_id:odc-by", ["alpha", "beta"]),
        ("tags:imprese -res_format:JSON", ["beta"]),
        ("capacity:public", ["alpha", "beta", "gamma"]),
        ("+dataset_type:dataset -dataset_type:harvest", ["alpha", "beta", "gamma"]),
        ("(tags:migranti OR license_id:odc-odbl)", ["alpha", "gamma"]),
    ],
)
def test_fq_filters(world: World, fq: str, expected: list[str]) -> None:
    assert world.names(fq=fq, sort="name asc") == expected


def test_fq_by_owner_org_id_and_fq_list(world: World) -> None:
    assert world.names(fq=f'+owner_org:"{world.org_b["id"]}"') == ["gamma"]
    assert world.names(fq_list=["tags:imprese", "res_format:JSON"]) == ["alpha"]


def test_metadata_modified_ranges(world: World) -> None:
    beta = world.admin.action.package_show(id=world.name("beta"))["metadata_modified"]
    after = world.names(fq=f"metadata_modified:[{beta}Z TO NOW]", sort="name asc")
    assert after == ["beta", "gamma"]
    assert world.names(fq=f"metadata_modified:{{{beta}Z TO NOW]") == ["gamma"]
    assert world.names(fq=f"metadata_modified:[* TO {beta}Z]", sort="name asc") == [
        "alpha",
        "beta",
    ]


def test_extras_are_matched_by_key(world: World) -> None:
    """Schema fields outside CKAN's core (here `version`) are stored as extras."""
    dataset = world.admin.action.package_create(
        **dataset_dict(world.name("extra"), world.org_a["id"], title="Con extra", version="v-uno")
    )
    try:
        assert world.names(fq='version:"v-uno"') == ["extra"]
        assert world.names(fq='version:"v-due"') == []
    finally:
        world.admin.action.dataset_purge(id=dataset["id"])


def test_dcat_catalogue_query(world: World) -> None:
    """The query ckanext-dcat's catalogue sends, with the datasets as validated JSON strings."""
    result = world.admin.action.package_search(
        fq=f"+capacity:public {world.scope} +state:(active)",
        fq_list=[
            "-dataset_type:harvest",
            "-dataset_type:showcase",
            "metadata_modified:[2000-01-01T00:00:00Z TO NOW]",
        ],
        fl=["id", "validated_data_dict"],
        sort="metadata_modified desc",
        rows=100,
    )
    assert result["count"] == 3
    found = [json.loads(r["validated_data_dict"]) for r in result["results"]]
    assert [d["name"] for d in found] == [world.name(s) for s in ("gamma", "beta", "alpha")]
    assert {r["id"] for r in result["results"]} == {d["id"] for d in found}
    assert all(d["resources"] and d["organization"] for d in found)


# -- counts, facets, paging, sorting --------------------------------------------------------


def test_counts_and_facets(world: World) -> None:
    result = world.search(
        world.anonymous,
        **{"facet.field": ["organization", "tags", "res_format", "license_id"], "rows": 0},
    )
    assert result["count"] == 3
    assert result["results"] == []
    facets = result["facets"]
    assert facets["organization"] == {world.org_a["name"]: 2, world.org_b["name"]: 1}
    assert facets["tags"] == {"imprese": 2, "migranti": 1, "territorio": 1, "eventi": 1}
    assert facets["res_format"] == {"CSV": 2, "XLSX": 2, "JSON": 1}
    assert facets["license_id"] == {"odc-by": 2, "odc-odbl": 1}
    titles = {
        i["name"]: i["display_name"] for i in result["search_facets"]["organization"]["items"]
    }
    assert titles == {world.org_a["name"]: "Camera A", world.org_b["name"]: "Camera B"}


def test_facet_limit_and_mincount(world: World) -> None:
    top = world.search(world.anonymous, **{"facet.field": ["tags"], "facet.limit": 1})
    assert top["facets"]["tags"] == {"imprese": 2}
    frequent = world.search(world.anonymous, **{"facet.field": ["tags"], "facet.mincount": 2})
    assert frequent["facets"]["tags"] == {"imprese": 2}


def test_paging_with_rows_and_start(world: World) -> None:
    pages = [world.search(world.anonymous, sort="name asc", rows=2, start=s) for s in (0, 2, 4)]
    assert [p["count"] for p in pages] == [3, 3, 3]
    names = [[r["name"] for r in p["results"]] for p in pages]
    assert names == [[world.name("alpha"), world.name("beta")], [world.name("gamma")], []]


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("name asc", ["alpha", "beta", "gamma"]),
        ("name desc", ["gamma", "beta", "alpha"]),
        ("metadata_modified desc", ["gamma", "beta", "alpha"]),
        ("metadata_created asc", ["alpha", "beta", "gamma"]),
        ("title_string asc", ["alpha", "beta", "gamma"]),  # "Alfa", "Beta", "gamma": no case
        ("title_string desc", ["gamma", "beta", "alpha"]),
        ("license_id asc, name desc", ["beta", "alpha", "gamma"]),
        ("score desc, metadata_modified desc", ["gamma", "beta", "alpha"]),
    ],
)
def test_sorting(world: World, sort: str, expected: list[str]) -> None:
    assert world.names(sort=sort) == expected


# -- privacy ---------------------------------------------------------------------------------


def test_anonymous_never_sees_private_datasets(world: World) -> None:
    assert world.names(sort="name asc", include_private=True) == PUBLIC
    assert world.names(q="riservato", include_private=True) == []


def test_member_sees_own_organization_private_datasets(world: World) -> None:
    assert world.names(world.member, sort="name asc") == PUBLIC
    with_private = world.names(world.member, sort="name asc", include_private=True)
    assert with_private == [*PUBLIC, "secret-a"]
    facets = world.search(world.member, include_private=True, **{"facet.field": ["tags"]})
    assert facets["facets"]["tags"]["imprese"] == 3
    assert "riservato" in facets["facets"]["tags"]


def test_sysadmin_sees_every_private_dataset(world: World) -> None:
    assert world.names(world.admin, sort="name asc") == PUBLIC
    everything = world.names(world.admin, sort="name asc", include_private=True)
    assert everything == [*PUBLIC, "secret-a", "secret-b"]
    private = world.names(world.admin, fq="capacity:private", include_private=True)
    assert sorted(private) == ["secret-a", "secret-b"]


# -- refused syntax --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"q": "imprese~2"}, "fuzzy"),
        ({"q": "impr*"}, "wildcards"),
        ({"q": "imp?ese"}, "wildcards"),
        ({"q": "imprese^4"}, "boosts"),
        ({"q": '"camere commercio"~3'}, "proximity"),
        ({"q": "{!lucene}imprese"}, "local parameters"),
        ({"q": "/impr.se/"}, "regular expressions"),
        ({"fq": "num_resources:[1 TO 5]"}, "ranges are only supported"),
        ({"fq": "metadata_modified:[NOW-1DAY TO NOW]"}, "date math"),
        ({"fq": "tags:imprese OR tags:eventi"}, "ambiguous"),
        ({"sort": "name"}, '"sort"'),
        ({"sort": "notes asc"}, "sorting on the text field"),
    ],
)
def test_unsupported_syntax_is_refused(world: World, params: dict[str, str], message: str) -> None:
    with pytest.raises(ckanapi.SearchQueryError) as caught:
        world.anonymous.action.package_search(**params)
    assert message in str(caught.value)


def test_refusal_is_a_400_with_the_reason(world: World) -> None:
    status, body = http_status(f"{world.url}/api/3/action/package_search", {"q": "imprese~"})
    assert status == 400
    assert body["error"]["__type"] == "Search Query Error"
    assert "not supported" in body["error"]["message"]


# -- the rest of CKAN that rests on search -----------------------------------------------------


def test_web_pages_answer(world: World) -> None:
    for path in (
        "/dataset",
        "/dataset?q=imprese&tags=imprese&sort=title_string+asc",
        f"/dataset/{world.name('alpha')}",
        f"/organization/{world.org_a['name']}",
        "/organization",
        "/",
    ):
        assert http_status(world.url + path)[0] == 200, path
    assert http_status(f"{world.url}/dataset/{world.name('secret-a')}")[0] == 404


def test_autocomplete_finds_names_and_titles(world: World) -> None:
    found = world.anonymous.action.package_autocomplete(q=f"{world.uid}-gam")
    assert [d["name"] for d in found] == [world.name("gamma")]
    assert world.anonymous.action.package_autocomplete(q=f"{world.uid}-secret") == []


def test_organization_counts_exclude_private_datasets(world: World) -> None:
    shown = world.anonymous.action.organization_show(id=world.org_b["name"])
    assert shown["package_count"] == 1


def test_package_show_and_datastore_work(world: World) -> None:
    assert "datastore" in world.admin.action.status_show()["extensions"]
    dataset = world.admin.action.package_create(
        **dataset_dict(world.name("table"), world.org_a["id"], title="Tabella", resources=[])
    )
    try:
        created = world.admin.action.datastore_create(
            resource={
                "package_id": dataset["id"],
                "name": "tabella",
                "format": "CSV",
                "name_translated": {"it": "Tabella", "en": "Table"},
            },
            fields=[{"id": "n", "type": "int"}],
            records=[{"n": 1}, {"n": 2}],
            force=True,
        )
        shown = world.admin.action.package_show(id=dataset["id"])
        assert shown["resources"][0]["datastore_active"] is True
        rows = world.anonymous.action.datastore_search(resource_id=created["resource_id"])
        assert rows["total"] == 2
        assert world.names(q="tabella") == ["table"]
    finally:
        world.admin.action.dataset_purge(id=dataset["id"])
