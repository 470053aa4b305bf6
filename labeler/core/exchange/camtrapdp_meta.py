"""Camtrap DP package metadata: the project settings file (project, contributors, licences).

The settings file is JSON, stored in the catalog once given, so that every later export (from
the window or the command line) carries it::

    {"title": "Beaver dams 2023",
     "project": {"title": "...", "acronym": "BD", "description": "...", "path": "https://...",
                 "samplingDesign": "targeted", "captureMethod": ["activityDetection"],
                 "individualAnimals": false},
     "contributors": [{"title": "Ana Silva", "email": "ana@example.org",
                       "role": "principalInvestigator", "organization": "..."}],
     "licenses": [{"name": "CC0-1.0", "scope": "data"}, {"name": "CC-BY-4.0", "scope": "media"}],
     "description": "...", "keywords": ["beaver"], "bibliographicCitation": "..."}
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from labeler.core.exchange.validate import BadValue

META_KEY = "camtrapdp_project"
SAMPLING_DESIGNS = ("simpleRandom", "systematicRandom", "clusteredRandom", "experimental",
                    "targeted", "opportunistic")  # fmt: skip
CAPTURE_METHODS = ("activityDetection", "timeLapse")
ROLES = ("contact", "principalInvestigator", "rightsHolder", "publisher", "contributor")
PACKAGE_KEYS = ("title", "description", "keywords", "bibliographicCitation", "homepage", "version",
                "image")  # fmt: skip
DEFAULT_PROJECT = {"samplingDesign": "opportunistic", "captureMethod": ["activityDetection"],
                   "individualAnimals": False}  # fmt: skip


def check_settings(data: object) -> dict:
    """The settings as stored, or :class:`BadValue` naming every problem."""
    if not isinstance(data, dict):
        raise BadValue("the project settings must be a JSON object")
    problems = []
    project = data.get("project", {})
    if not isinstance(project, dict):
        problems.append("'project' must be an object")
        project = {}
    design = project.get("samplingDesign")
    if design is not None and design not in SAMPLING_DESIGNS:
        problems.append(
            f"project.samplingDesign {design!r} is not one of {', '.join(SAMPLING_DESIGNS)}"
        )
    methods = project.get("captureMethod")
    if methods is not None and (not isinstance(methods, list) or not methods
                                or any(m not in CAPTURE_METHODS for m in methods)):  # fmt: skip
        problems.append(f"project.captureMethod must be a list of {' or '.join(CAPTURE_METHODS)}")
    if "individualAnimals" in project and not isinstance(project["individualAnimals"], bool):
        problems.append("project.individualAnimals must be true or false")
    contributors = data.get("contributors", [])
    if not isinstance(contributors, list):
        problems.append("'contributors' must be a list")
        contributors = []
    for n, c in enumerate(contributors, start=1):
        if not isinstance(c, dict) or not str(c.get("title", "")).strip():
            problems.append(
                f"contributor {n} needs a 'title' (the person's or organisation's name)"
            )
        elif c.get("role") is not None and c["role"] not in ROLES:
            problems.append(f"contributor {n}: role {c['role']!r} is not one of {', '.join(ROLES)}")
    licenses = data.get("licenses")
    if licenses is not None:
        scopes = (
            [lic.get("scope") for lic in licenses if isinstance(lic, dict)]
            if isinstance(licenses, list)
            else []
        )
        if sorted(set(scopes)) != ["data", "media"] or any(
            not (lic.get("name") or lic.get("path")) for lic in licenses
        ):
            problems.append("'licenses' needs one licence with scope 'data' and one with scope "
                            "'media', each with a name or a path")  # fmt: skip
    if "keywords" in data and not (isinstance(data["keywords"], list)
                                   and all(isinstance(k, str) for k in data["keywords"])):  # fmt: skip
        problems.append("'keywords' must be a list of words")
    if problems:
        raise BadValue("project settings: " + "; ".join(problems))
    return data


def read_settings(path: str | os.PathLike[str]) -> dict:
    """A project settings file, checked (:class:`BadValue` when it is not usable)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
        raise BadValue(f"{Path(path).name} is not a JSON file: {str(exc)[:200]}") from None
    return check_settings(data)


def package_metadata(settings: dict, fallback_title: str) -> tuple[dict, dict, list[str]]:
    """(package-level fields, the ``project`` object, notes about defaults used)."""
    notes = []
    project = {**DEFAULT_PROJECT, **(settings.get("project") or {})}
    title = settings.get("title") or project.get("title") or fallback_title
    project.setdefault("title", title)
    if not settings.get("project"):
        notes.append("project metadata uses defaults (samplingDesign=opportunistic, captureMethod="
                     "activityDetection); give a project settings file (--project) to set them")  # fmt: skip
    package = {k: settings[k] for k in PACKAGE_KEYS if settings.get(k)}
    package["title"] = title
    contributors = settings.get("contributors") or []
    if not contributors:
        notes.append("no contributors given; the package names an unknown contact")
        contributors = [{"title": "unknown", "role": "contact"}]
    package["contributors"] = contributors
    if settings.get("licenses"):
        package["licenses"] = settings["licenses"]
    return package, project, notes
