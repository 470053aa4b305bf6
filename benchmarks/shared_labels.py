"""The shared folder's labels (``labels.csv``) expressed in the bundled taxonomy, for evaluation.

Source labels name species, groups or placeholders; each maps to the set of taxonomy keys that
count as a correct answer. Labels that name no animal class we can score map to None.
"""

from __future__ import annotations

import csv
from pathlib import Path

DEER = {
    "white_tailed_deer",
    "mule_deer",
    "red_deer",
    "elk",
    "roe_deer",
    "fallow_deer",
    "sambar",
    "muntjac",
}
LABEL_TO_TAXA: dict[str, set[str] | None] = {
    "empty": {"blank"},
    "cricetidae": {"vole", "rodent", "rat", "norway_lemming"},
    "lem_lem": {"norway_lemming", "vole", "rodent"},
    "mus_erm": {"stoat", "least_weasel"},
    "leopard_cat": {"leopard_cat"},
    "jaguar": {"jaguar"},
    "mouse-deer": {"mouse_deer"},
    "vehicle": {"vehicle"},
    "pig-tailed_macaque": {"macaque"},
    "heron": {"heron"},
    "moonrat": {"moonrat"},
    "deer": DEER,
    "malay_civet": {"malay_civet"},
    "african_elephant": {"african_elephant"},
    "elephant": {"african_elephant"},
    "rabbit": {"cottontail", "european_rabbit", "hare"},
    "opossum": {"virginia_opossum"},
    "virginia_opossum": {"virginia_opossum"},
    "american_black_bear": {"american_black_bear"},
    "bear": {"brown_bear", "american_black_bear"},
    "wild_boar": {"wild_boar"},
    "striped_skunk": {"striped_skunk"},
    "skunk": {"striped_skunk"},
    "raccoon": {"raccoon"},
    "human": {"human"},
    "person": {"human"},
    "grey_fox": {"gray_fox"},
    "fox": {"red_fox", "gray_fox", "kit_fox", "arctic_fox"},
    "eastern_fox_squirrel": {"fox_squirrel", "eastern_gray_squirrel"},
    "coyote": {"coyote"},
    "cougar": {"cougar"},
    "chicken": {"domestic_chicken"},
    "cat": {"domestic_cat"},
    "american_crow": {"crow_raven"},
    "crow": {"crow_raven"},
    "wolf": {"gray_wolf"},
    "ostrich": {"ostrich"},
    "jackal": {"golden_jackal", "black_backed_jackal"},
    "cheetah": {"cheetah"},
    "bird": {"bird", "songbird", "thrush", "jay", "crow_raven", "pigeon_dove", "shorebird"},
    "other_bird": {
        "bird",
        "songbird",
        "thrush",
        "jay",
        "crow_raven",
        "pigeon_dove",
        "shorebird",
        "hornbill",
    },
    "rodent": {"rodent", "rat", "vole", "fox_squirrel", "eastern_gray_squirrel", "red_squirrel"},
    "rodents": {"rodent", "rat", "vole"},
    "zorilla": {"striped_skunk", "stoat", "european_polecat"},
    "zebra": {"plains_zebra"},
    "wildebeest": {"blue_wildebeest"},
    "wildcat": {"wildcat", "domestic_cat"},
    "waterbuck": {"waterbuck"},
    "warthog": {"warthog"},
    "vulture": {"vulture"},
    "vervet_monkey": {"vervet_monkey"},
    "topi": {"topi"},
    "steenbok": {"steenbok"},
    "serval": {"serval"},
    "secretary_bird": {"secretarybird"},
    "rhinoceros": {"rhinoceros"},
    "reptiles": {"reptile"},
    "reedbuck": {"bohor_reedbuck"},
    "porcupine": {"porcupine"},
    "pheasant": {"common_pheasant"},
    "owl": {"owl", "burrowing_owl"},
    "ocelot": {"ocelot"},
    "mongoose": {"mongoose"},
    "lion_male": {"lion"},
    "lion_female": {"lion"},
    "lion": {"lion"},
    "leopard": {"leopard"},
    "kori_bustard": {"kori_bustard"},
    "insect_spider": {"invertebrate"},
    "impala": {"impala"},
    "hyena_striped": {"striped_hyena"},
    "hyena_spotted": {"spotted_hyena"},
    "honey_badger": {"honey_badger"},
    "hippopotamus": {"hippopotamus"},
    "hartebeest": {"hartebeest"},
    "hare": {"hare"},
    "guinea_fowl": {"helmeted_guineafowl"},
    "giraffe": {"giraffe"},
    "genet": {"common_genet"},
    "gazelle_thomsons": {"thomsons_gazelle"},
    "gazelle_grants": {"grants_gazelle"},
    "eland": {"common_eland"},
    "duiker": {"common_duiker"},
    "domestic_dog": {"domestic_dog"},
    "dog": {"domestic_dog"},
    "domestic_cattle": {"domestic_cattle"},
    "cattle": {"domestic_cattle"},
    "dik_dik": {"kirks_dik_dik"},
    "civet": {"african_civet"},
    "caracal": {"caracal"},
    "bushbuck": {"bushbuck"},
    "buffalo": {"african_buffalo"},
    "bobcat": {"bobcat"},
    "bat_eared_fox": {"bat_eared_fox"},
    "bat": {"bat"},
    "baboon": {"baboon"},
    "aardwolf": {"aardwolf"},
    "aardvark": {"aardvark"},
    "burrowing_owl_project": {"burrowing_owl", "owl"},
    "vehicle+dog": {"vehicle", "domestic_dog"},
    "human_vehicle": {"human", "vehicle"},
    "unlabeled_hard_case": None,
    "unlabeled": None,
    "unidentified": None,
    "animal_unspecified": None,
    "invalid": None,
    "label": None,
}


def load_labels(data: Path) -> list[dict]:
    """Rows of ``labels.csv`` with an added ``taxa`` set (None when the label is not scorable)."""
    rows = []
    with open(data / "labels.csv", newline="", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            r = dict(r)
            r["taxa"] = LABEL_TO_TAXA.get(r["label"])
            rows.append(r)
    return rows


# Labels of truth files that say nothing about the image.
PLACEHOLDERS = {"", "unlabeled", "unlabeled_hard_case", "invalid", "label", "unidentified",
                "animal_unspecified"}  # fmt: skip


def read_truth(
    path: Path, data: Path, prefixes: list[str] | tuple[str, ...] = ()
) -> dict[str, tuple[str, str]]:
    """A benchmark truth file (``path,label[,site]``) as path relative to ``data`` ->
    (label, site); placeholder labels are left out, and with ``prefixes`` only those paths."""
    out = {}
    with open(path, newline="", encoding="utf-8-sig") as f:
        for r in csv.DictReader(f):
            p = (r.get("path") or "").strip().replace("\\", "/")
            label = (r.get("label") or r.get("species") or "").strip()
            if label.lower() in PLACEHOLDERS:
                continue
            first, _, rest = p.partition("/")
            if first == data.name and rest and not (data / p).exists():
                p = rest
            if prefixes and not any(p.startswith(x) for x in prefixes):
                continue
            out[p] = (label, (r.get("site") or "").strip())
    return out
