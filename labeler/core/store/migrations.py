"""Schema of the project catalog, as an ordered list of sqlite-utils migrations."""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

MIGRATIONS = Migrations("camtrap-labeler")


def _run(db: Database, sql: str) -> None:
    for statement in sql.split(";\n"):
        if statement.strip():
            db.execute(statement)


@MIGRATIONS()
def m001_initial(db: Database) -> None:
    _run(
        db,
        """
CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT
);
CREATE TABLE sequences (
    id INTEGER PRIMARY KEY,
    folder TEXT NOT NULL,
    start TEXT,
    "end" TEXT,
    n_frames INTEGER NOT NULL
);
CREATE TABLE images (
    id INTEGER PRIMARY KEY,
    path TEXT NOT NULL UNIQUE,
    folder TEXT NOT NULL,
    name TEXT NOT NULL,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    fingerprint TEXT,
    sha256 TEXT,
    width INTEGER,
    height INTEGER,
    format TEXT,
    mode TEXT,
    orientation INTEGER,
    datetime_raw TEXT,
    datetime TEXT,
    datetime_source TEXT,
    datetime_flag TEXT,
    time_offset_s INTEGER NOT NULL DEFAULT 0,
    camera_make TEXT,
    camera_model TEXT,
    exif_error TEXT,
    status TEXT NOT NULL,
    status_detail TEXT,
    duplicate_of INTEGER REFERENCES images(id) ON DELETE SET NULL,
    missing INTEGER NOT NULL DEFAULT 0,
    sequence_id INTEGER REFERENCES sequences(id) ON DELETE SET NULL,
    frame INTEGER,
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL
);
CREATE INDEX images_folder ON images(folder, datetime);
CREATE INDEX images_fingerprint ON images(fingerprint);
CREATE INDEX images_status ON images(status);
CREATE INDEX images_sequence ON images(sequence_id, frame);
CREATE TABLE species (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    common_name TEXT NOT NULL,
    scientific_name TEXT,
    observation_type TEXT NOT NULL DEFAULT 'animal',
    source TEXT NOT NULL DEFAULT 'taxonomy',
    active INTEGER NOT NULL DEFAULT 1
);
CREATE TABLE actions (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    description TEXT,
    author TEXT,
    timestamp TEXT NOT NULL,
    reverts INTEGER REFERENCES actions(id),
    image_count INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE observations (
    id INTEGER PRIMARY KEY,
    image_id INTEGER NOT NULL REFERENCES images(id),
    slot INTEGER NOT NULL DEFAULT 0,
    observation_type TEXT NOT NULL,
    species_key TEXT,
    count INTEGER,
    classification_method TEXT NOT NULL,
    classified_by TEXT,
    probability REAL,
    timestamp TEXT NOT NULL,
    action_id INTEGER REFERENCES actions(id),
    UNIQUE(image_id, slot)
);
CREATE INDEX observations_species ON observations(species_key);
CREATE TABLE history (
    id INTEGER PRIMARY KEY,
    action_id INTEGER NOT NULL REFERENCES actions(id),
    image_id INTEGER NOT NULL REFERENCES images(id),
    before TEXT NOT NULL,
    after TEXT NOT NULL,
    timestamp TEXT NOT NULL
);
CREATE INDEX history_image ON history(image_id, id);
CREATE INDEX history_action ON history(action_id);
CREATE TRIGGER history_append_only_update BEFORE UPDATE ON history
BEGIN SELECT RAISE(ABORT, 'history is append-only'); END;
CREATE TRIGGER history_append_only_delete BEFORE DELETE ON history
BEGIN SELECT RAISE(ABORT, 'history is append-only'); END;
CREATE TABLE models (
    id INTEGER PRIMARY KEY,
    version TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    card TEXT NOT NULL,
    path TEXT,
    created TEXT NOT NULL,
    active INTEGER NOT NULL DEFAULT 0,
    metrics TEXT
);
CREATE TABLE image_predictions (
    image_id INTEGER NOT NULL REFERENCES images(id),
    model_id INTEGER NOT NULL REFERENCES models(id),
    empty_score REAL,
    probs BLOB,
    error TEXT,
    created TEXT NOT NULL,
    PRIMARY KEY (image_id, model_id)
);
CREATE TABLE predictions (
    image_id INTEGER NOT NULL REFERENCES images(id),
    model_id INTEGER NOT NULL REFERENCES models(id),
    rank INTEGER NOT NULL,
    label TEXT NOT NULL,
    score REAL NOT NULL,
    PRIMARY KEY (image_id, model_id, rank)
);
CREATE INDEX predictions_top ON predictions(model_id, rank, score);
CREATE TABLE embeddings (
    image_id INTEGER NOT NULL REFERENCES images(id),
    model_id INTEGER NOT NULL REFERENCES models(id),
    dim INTEGER NOT NULL,
    vector BLOB NOT NULL,
    PRIMARY KEY (image_id, model_id)
);
CREATE TABLE scans (
    id INTEGER PRIMARY KEY,
    started TEXT NOT NULL,
    finished TEXT,
    state TEXT NOT NULL,
    report TEXT
)
""",
    )


@MIGRATIONS()
def m002_prediction_details(db: Database) -> None:
    _run(
        db,
        """
ALTER TABLE image_predictions ADD COLUMN thumb BLOB;
ALTER TABLE image_predictions ADD COLUMN blank_prob REAL;
CREATE INDEX image_predictions_model ON image_predictions(model_id, empty_score);
CREATE INDEX observations_image ON observations(image_id)
""",
    )


@MIGRATIONS()
def m003_deployments_and_detections(db: Database) -> None:
    _run(
        db,
        """
CREATE TABLE deployments (
    folder TEXT PRIMARY KEY,
    location_id TEXT,
    location_name TEXT,
    latitude REAL,
    longitude REAL,
    coordinate_uncertainty INTEGER,
    deployment_start TEXT,
    deployment_end TEXT,
    utc_offset TEXT,
    camera_id TEXT,
    camera_height REAL,
    habitat TEXT,
    feature_type TEXT,
    bait_use INTEGER,
    setup_by TEXT,
    comments TEXT
);
CREATE TABLE md_images (
    image_id INTEGER NOT NULL REFERENCES images(id),
    source TEXT NOT NULL,
    failure TEXT,
    PRIMARY KEY (image_id, source)
);
CREATE TABLE detections (
    id INTEGER PRIMARY KEY,
    image_id INTEGER NOT NULL REFERENCES images(id),
    source TEXT NOT NULL,
    category TEXT NOT NULL,
    conf REAL NOT NULL,
    x REAL, y REAL, w REAL, h REAL,
    classifications TEXT
);
CREATE INDEX detections_image ON detections(image_id)
""",
    )


@MIGRATIONS()
def m004_regions(db: Database) -> None:
    # Written to be re-run safely: a process killed half-way through leaves no half state
    # that the next open would trip over.
    db.execute(
        "CREATE TABLE IF NOT EXISTS region_sources (source TEXT PRIMARY KEY, kind TEXT NOT NULL, "
        "created TEXT NOT NULL, info TEXT)"
    )
    if "cropped" not in db["image_predictions"].columns_dict:
        db.execute("ALTER TABLE image_predictions ADD COLUMN cropped INTEGER")


@MIGRATIONS()
def m005_audits(db: Database) -> None:
    # An audit is an image drawn at random from the unlabeled ones with a known probability;
    # the person's label of that image is its answer.
    db.execute(
        "CREATE TABLE IF NOT EXISTS audits (id INTEGER PRIMARY KEY, "
        "image_id INTEGER NOT NULL REFERENCES images(id), drawn TEXT NOT NULL, "
        "inclusion REAL NOT NULL, stratum TEXT, stratum_size INTEGER, pool_size INTEGER, "
        "model_version TEXT, dropped INTEGER NOT NULL DEFAULT 0)"
    )
    db.execute("CREATE INDEX IF NOT EXISTS audits_image ON audits(image_id)")


@MIGRATIONS()
def m006_xch_time_zones_and_clock_corrections(db: Database) -> None:
    # Each statement commits on its own: written so that a run cut short can run again.
    if "timezone" not in {c.name for c in db["deployments"].columns}:
        db.execute("ALTER TABLE deployments ADD COLUMN timezone TEXT")
    _run(
        db,
        """
CREATE TABLE IF NOT EXISTS clock_corrections (
    id INTEGER PRIMARY KEY,
    action_id INTEGER NOT NULL REFERENCES actions(id),
    image_id INTEGER NOT NULL REFERENCES images(id),
    before_s INTEGER NOT NULL,
    after_s INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS clock_corrections_image ON clock_corrections(image_id, id);
CREATE INDEX IF NOT EXISTS clock_corrections_action ON clock_corrections(action_id)
""",
    )


@MIGRATIONS()
def m007_win_image_notes(db: Database) -> None:
    _run(
        db,
        """
CREATE TABLE IF NOT EXISTS image_notes (
    image_id INTEGER PRIMARY KEY REFERENCES images(id),
    note TEXT NOT NULL,
    author TEXT,
    timestamp TEXT NOT NULL
)
""",
    )
