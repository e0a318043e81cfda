"""Writes eval/long-tables/documents.jsonl (and, with --blind, eval/long-tables/blind.jsonl; with --blind 2,
blind-2.jsonl: the same kinds of table drawn again, each kept unseen until a change's runs): tables too long for one passage (256 encoder tokens), so the
service cuts each into two to four passages, and questions about rows before and after the cuts.

Each document is a heading, a line of prose and one Markdown table (two without outer pipes); the values are
invented, so no model can know them, and every key (the first column) is unique. A question names a row by its
key and asks for another column (a few ask the other way round). Run from the repository root:

    python3 eval/long-tables/generate.py [--blind [N]]
"""

import json
import random
import sys
from dataclasses import dataclass
from pathlib import Path

FIRST = ["Anna", "Tomas", "Marta", "Jonas", "Lea", "Omar", "Ines", "Paul", "Sara", "Ravi", "Nora", "Ivan",
         "Keiko", "Luis", "Eva", "Hugo", "Mira", "Felix", "Dana", "Arjun", "Clara", "Yusuf", "Elin", "Bruno"]
LAST = ["Kowalski", "Berg", "Silva", "Novak", "Lind", "Haddad", "Costa", "Meyer", "Sato", "Iyer", "Dahl",
        "Petrov", "Ito", "Ramos", "Olsen", "Brandt", "Fischer", "Moreau", "Nagy", "Quinn", "Varga", "Holm"]
PLANTS = ["cyclamen", "fern", "lavender", "rosemary", "begonia", "orchid", "fuchsia", "peony", "hosta",
          "heather", "geranium", "jasmine", "camellia", "azalea", "dahlia", "aster", "sage", "thyme", "basil",
          "mint", "clematis", "hydrangea", "magnolia", "primrose", "violet", "tulip", "iris", "crocus", "lupin",
          "foxglove", "yarrow", "phlox", "verbena", "lobelia", "salvia", "anemone", "freesia", "gerbera"]
TOWNS = ["Ostvik", "Lindholm", "Brekka", "Sandvik", "Halden", "Moravik", "Tarnby", "Elvdal", "Kavli",
         "Rosmark", "Fjellby", "Norrvik", "Svalby", "Heimdal", "Vesterby", "Askvoll"]
TEAMS = ["Billing", "Search", "Payments", "Identity", "Storage", "Mobile", "Data", "Support", "Security", "Growth"]
WORDS = ["amber", "basalt", "cedar", "delta", "ember", "falcon", "garnet", "harbor", "indigo", "juniper",
         "kestrel", "lagoon", "marble", "nimbus", "onyx", "pebble", "quartz", "raven", "sierra", "tundra",
         "umber", "willow", "yarrow", "zephyr", "acorn", "birch", "comet", "dune", "fjord", "glacier"]


@dataclass
class Question:
    text: str
    answer: str
    #: the body row it asks about and the column that holds its answer
    row: int
    column: int


@dataclass
class Doc:
    title: str
    #: the heading and the line of prose above the table
    intro: str
    header: list
    rows: list
    questions: list
    pipes: bool = True

    @property
    def text(self):
        return self.intro + table(self.header, self.rows, self.pipes)


def person(rng):
    return f"{rng.choice(FIRST)} {rng.choice(LAST)}"


def table(header, rows, pipes=True):
    def line(cells):
        return f"| {' | '.join(cells)} |" if pipes else " | ".join(cells)
    delimiter = "|" + "|".join("---" for _ in header) + "|" if pipes else " | ".join("---" for _ in header)
    return "\n".join([line(header), delimiter, *(line(r) for r in rows)]) + "\n"


def unique(rng, make, n):
    seen, out = set(), []
    while len(out) < n:
        v = make()
        if v not in seen:
            seen.add(v)
            out.append(v)
    return out


def pick_rows(rng, n, k):
    """k row indices: one from the first quarter, the rest from the later three quarters (after the cuts)."""
    early = rng.sample(range(n // 4), 1)
    late = rng.sample(range(n // 4, n), k - 1)
    return sorted(early + late)


def ask(rng, rows, kinds):
    """Six Questions on rows drawn by pick_rows, each of a kind drawn by its share: (drawn below this, the
    question over the row's cells, the answer's column)."""
    qs = []
    for i in pick_rows(rng, len(rows), 6):
        r = rng.random()
        template, column = next((t, c) for upto, t, c in kinds if r < upto)
        qs.append(Question(template.format(*rows[i]), rows[i][column], i, column))
    return qs


def rota(rng):
    rows = [[str(w), person(rng), person(rng)] for w in range(1, 53)]
    qs = []
    for i in pick_rows(rng, len(rows), 6):
        col = rng.choice([1, 2])
        role = "primary" if col == 1 else "secondary"
        qs.append(Question(f"Who is the {role} on call in week {rows[i][0]}?", rows[i][col], i, col))
    return Doc("Platform on-call rota, 2026", "# Platform on-call rota, 2026\n\nThe rota runs from Monday 09:00 to the next Monday 09:00.\n\n", ["week", "primary", "secondary"], rows, qs)


def garden(rng):
    plants = rng.sample(PLANTS, 36)
    rows = [[p, f"{rng.randint(3, 40)}.{rng.choice(['00', '50', '95'])} euros", f"{rng.choice([9, 11, 12, 14, 17, 19, 23])} cm", str(rng.randint(0, 120))] for p in plants]
    qs = ask(rng, rows, [
        (0.5, "How much does a {0} cost?", 1),
        (1.0, "What pot size does the {0} come in?", 2),
    ])
    return Doc("Greenhouse price list", "## Spring price list\n\nPrices include VAT. Stock is counted each morning.\n\n", ["plant", "price", "pot size", "in stock"], rows, qs)


def ferries(rng):
    times = sorted(unique(rng, lambda: f"{rng.randint(5, 22):02d}:{rng.choice(range(0, 60, 5)):02d}", 44))
    rows = [[t, rng.choice(TOWNS[1:]), f"quay {rng.randint(1, 9)}", rng.choice(["Maren", "Solvik", "Aurora", "Fjordlys", "Kvitstein", "Havbris"])] for t in times]
    qs = ask(rng, rows, [
        (0.4, "Where does the {0} ferry go?", 1),
        (0.7, "Which quay does the {0} ferry leave from?", 2),
        (1.0, "Which vessel sails at {0}?", 3),
    ])
    return Doc("Ostvik ferry departures", "# Departures from Ostvik\n\nAll sailings run daily, weather permitting.\n\n", ["departure", "destination", "quay", "vessel"], rows, qs)


def servers(rng):
    hosts = unique(rng, lambda: f"{rng.choice(WORDS)}-{rng.randint(1, 40):02d}", 40)
    rows = [[h, rng.choice(["database", "cache", "web", "queue", "search", "backup", "metrics"]), rng.choice(["Frankfurt", "Dublin", "Oslo", "Madrid", "Warsaw"]), f"10.{rng.randint(0, 9)}.{rng.randint(0, 255)}.{rng.randint(2, 254)}"] for h in hosts]
    qs = ask(rng, rows, [
        (0.35, "What is the IP address of {0}?", 3),
        (0.7, "In which data centre is {0}?", 2),
        (1.0, "Which host has the address {3}?", 0),
    ])
    return Doc("Server inventory", "## Inventory\n\nUpdated by the provisioning job every night.\n\n", ["host", "role", "data centre", "IP address"], rows, qs)


def directory(rng):
    names = unique(rng, lambda: person(rng), 48)
    exts = unique(rng, lambda: str(rng.randint(2000, 4999)), 48)
    rows = [[n, rng.choice(TEAMS), f"room {rng.randint(1, 6)}{rng.randint(0, 3)}{rng.randint(1, 9)}", e] for n, e in zip(names, exts)]
    qs = ask(rng, rows, [
        (0.4, "What is {0}'s phone extension?", 3),
        (0.7, "Which team is {0} on?", 1),
        (1.0, "Which room is {0} in?", 2),
    ])
    return Doc("Staff directory", "# Staff directory\n\nCall reception on 1000 for anyone not listed.\n\n", ["name", "team", "office", "extension"], rows, qs, pipes=False)


def error_codes(rng):
    codes = sorted(unique(rng, lambda: f"E{rng.randint(1000, 1999)}", 40))
    names = unique(rng, lambda: "_".join(rng.sample(["DISK", "QUOTA", "TOKEN", "LOCK", "PEER", "CHUNK", "INDEX", "CLOCK", "SHARD", "CACHE"], 1) + rng.sample(["FULL", "EXPIRED", "HELD", "LOST", "CORRUPT", "SKEW", "MISSING", "STALE", "BUSY"], 1)), 40)
    fixes = ["free space on the volume", "renew the access token", "wait for the lock holder", "restart the peer",
             "run the repair job", "rebuild the index", "sync the clock with NTP", "move the shard", "flush the cache",
             "raise the quota", "retry after a minute", "restore from the last snapshot"]
    rows = [[c, n, rng.choice(fixes)] for c, n in zip(codes, names)]
    qs = ask(rng, rows, [
        (0.5, "What is the name of error {0}?", 1),
        (1.0, "What should you do about error {0}?", 2),
    ])
    return Doc("Storage daemon error codes", "## Error codes\n\nEvery error is logged with its code and name.\n\n", ["code", "name", "what to do"], rows, qs)


def league(rng):
    clubs = ["Ostvik", "Brekka", "Halden", "Tarnby", "Kavli", "Rosmark", "Norrvik", "Askvoll"]
    pairs = unique(rng, lambda: tuple(rng.sample(clubs, 2)), 40)
    rows = [[f"{k + 1}", f"{h} FC", f"{a} FC", f"{rng.randint(0, 5)}-{rng.randint(0, 5)}"] for k, (h, a) in enumerate(pairs)]
    qs = ask(rng, rows, [
        (0.4, "What was the score of match {0}?", 3),
        (0.7, "Who played at home in match {0}?", 1),
        (1.0, "Who were the away team in match {0}?", 2),
    ])
    return Doc("Coastal league results", "# Coastal league, autumn results\n\nMatches are numbered in the order they were played.\n\n", ["match", "home", "away", "score"], rows, qs)


def courses(rng):
    codes = sorted(unique(rng, lambda: f"{rng.choice(['CS', 'MA', 'PH', 'EC', 'BI'])}{rng.randint(100, 499)}", 40))
    subjects = ["Linear Algebra", "Compilers", "Thermodynamics", "Game Theory", "Cell Biology", "Databases",
                "Topology", "Optics", "Econometrics", "Genetics", "Operating Systems", "Number Theory", "Acoustics",
                "Public Finance", "Ecology", "Networks", "Probability", "Mechanics", "Labour Economics", "Botany"]
    rows = [[c, f"{rng.choice(subjects)} {rng.choice(['I', 'II', 'III'])}", f"{rng.choice(['North', 'South', 'West'])} Hall {rng.randint(1, 12)}", person(rng)] for c in codes]
    qs = ask(rng, rows, [
        (0.4, "Who teaches {0}?", 3),
        (0.7, "Where is {0} taught?", 2),
        (1.0, "What is the title of course {0}?", 1),
    ])
    return Doc("Spring course timetable", "## Courses this spring\n\nRooms may change in the first week.\n\n", ["course", "title", "room", "lecturer"], rows, qs)


def warehouse(rng):
    skus = sorted(unique(rng, lambda: f"SKU-{rng.randint(10000, 99999)}", 44))
    goods = ["steel hinge", "oak shelf", "wall anchor", "LED strip", "copper pipe", "door handle", "glass panel",
             "brass screw", "rubber seal", "pine plank", "cable tie", "paint roller", "tile spacer", "drill bit"]
    rows = [[s, f"{rng.choice(goods)}, {rng.choice(['small', 'medium', 'large'])}", f"{rng.choice('ABCDEFGH')}-{rng.randint(1, 30)}", str(rng.randint(0, 900))] for s in skus]
    qs = ask(rng, rows, [
        (0.4, "Which bin holds {0}?", 2),
        (0.7, "How many of {0} are in stock?", 3),
        (1.0, "What product is {0}?", 1),
    ])
    return Doc("Warehouse stock", "# Stock on hand\n\nCounted at close of business on Friday.\n\n", ["SKU", "product", "bin", "quantity"], rows, qs, pipes=False)


def releases(rng):
    versions = [f"{major}.{minor}" for major in range(3, 8) for minor in range(0, 8)][:38]
    names = unique(rng, lambda: f"{rng.choice(WORDS).title()} {rng.choice(WORDS).title()}", len(versions))
    rows = []
    for k, (v, n) in enumerate(zip(versions, names)):
        year, month = 2019 + k // 6, 1 + (k % 6) * 2
        rows.append([v, n, f"{rng.randint(1, 28)} {['January', 'March', 'May', 'July', 'September', 'November'][k % 6]} {year}", f"{['January', 'March', 'May', 'July', 'September', 'November'][(k + 3) % 6]} {year + 2}"])
    qs = ask(rng, rows, [
        (0.4, "What is the codename of version {0}?", 1),
        (0.7, "When was version {0} released?", 2),
        (1.0, "Until when is version {0} supported?", 3),
    ])
    return Doc("Release history", "## Releases\n\nA release is supported for two years.\n\n", ["version", "codename", "released", "supported until"], rows, qs)


def clinics(rng):
    towns = rng.sample(TOWNS, 16) + [f"{t} East" for t in rng.sample(TOWNS, 14)]
    rows = [[t, f"{rng.randint(1, 90)} {rng.choice(['Harbour', 'Mill', 'Church', 'Station', 'Market', 'Bridge'])} Street", f"{rng.choice(['07', '08', '09'])}:{rng.choice(['00', '30'])}", f"{rng.choice(['16', '17', '18', '19'])}:{rng.choice(['00', '30'])}", person(rng)] for t in towns]
    qs = ask(rng, rows, [
        (0.3, "What is the address of the {0} clinic?", 1),
        (0.55, "When does the {0} clinic open?", 2),
        (0.8, "When does the {0} clinic close?", 3),
        (1.0, "Who runs the {0} clinic?", 4),
    ])
    return Doc("Clinic opening hours", "# Clinics and their hours\n\nAll clinics are closed on public holidays.\n\n", ["clinic", "address", "opens", "closes", "lead nurse"], rows, qs)


def flights(rng):
    numbers = sorted(unique(rng, lambda: f"NV{rng.randint(100, 989)}", 42))
    rows = [[n, rng.choice(["Reykjavik", "Lisbon", "Tallinn", "Bergen", "Gdansk", "Porto", "Riga", "Cork", "Malaga", "Turku"]), f"gate {rng.choice('ABCD')}{rng.randint(1, 24)}", f"{rng.randint(6, 23):02d}:{rng.choice(range(0, 60, 5)):02d}"] for n in numbers]
    qs = ask(rng, rows, [
        (0.35, "Which gate does flight {0} leave from?", 2),
        (0.7, "Where does flight {0} fly to?", 1),
        (1.0, "What time does flight {0} depart?", 3),
    ])
    return Doc("Departures board", "## Today's departures\n\nGates close twenty minutes before departure.\n\n", ["flight", "destination", "gate", "departs"], rows, qs)


MAKERS = [rota, garden, ferries, servers, directory, error_codes, league, courses, warehouse, releases, clinics, flights]


def main():
    args = sys.argv[1:]
    blind = "--blind" in args
    draw = int(args[args.index("--blind") + 1]) if blind and args.index("--blind") + 1 < len(args) else 1
    rng = random.Random(2026_12_06 + draw if blind else 2026_12_06)
    out = Path(__file__).with_name(("blind.jsonl" if draw == 1 else f"blind-{draw}.jsonl") if blind else "documents.jsonl")
    with out.open("w") as f:
        for k, make in enumerate(MAKERS, start=1):
            doc = make(rng)
            doc_id = f"long-tables-{('blind-' if draw == 1 else f'blind{draw}-') if blind else ''}{k:02d}"
            qas = [{"id": f"{doc_id}-q{j}", "question": q.text, "answers": [q.answer]} for j, q in enumerate(doc.questions)]
            f.write(json.dumps({"id": doc_id, "title": doc.title, "context": doc.text, "qas": qas}) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
