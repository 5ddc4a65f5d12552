"""Workshop materials as files: where they are stored, what may be uploaded, the speakers' links.

Files are never public. They live in the storage ``STORAGES["materials"]``
(a folder under ``DATA_DIR`` by default, S3-compatible storage through
django-storages where a site sets ``MATERIALS_STORAGE=s3``, see
docs/deployment.md), under a random name; the name the organiser or speaker
gave the file is kept on the row and given back with the download. They are
served only by views that check who asks (the attendee's personal page,
registrations/views.py; staff in the admin), never by a URL of the storage.

A speaker uploads through a link the organiser sends them: an unguessable key
per workshop (256 random bits), of which only a SHA-256 hash is stored, so
the link is shown once, when it is made, and a new link or a revocation ends
the old one.
"""

import hashlib
import hmac
import pathlib
import secrets
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import storages
from django.http import FileResponse, Http404
from django.template.defaultfilters import filesizeformat
from django.utils.functional import LazyObject, empty
from django.utils.translation import gettext_lazy as _

# What may be uploaded: PDF, PowerPoint and Word, by extension and by the file's first bytes.
PDF = b"%PDF-"
OOXML = b"PK\x03\x04"  # .pptx, .docx, .ppsx: zip containers
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .ppt, .doc, .pps: the old binary formats
ALLOWED_TYPES = {
    ".pdf": (PDF, "application/pdf"),
    ".pptx": (
        OOXML,
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ),
    ".ppsx": (OOXML, "application/vnd.openxmlformats-officedocument.presentationml.slideshow"),
    ".ppt": (OLE, "application/vnd.ms-powerpoint"),
    ".pps": (OLE, "application/vnd.ms-powerpoint"),
    ".docx": (
        OOXML,
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ),
    ".doc": (OLE, "application/msword"),
}
ACCEPT = ",".join(sorted(ALLOWED_TYPES))


class MaterialsStorage(LazyObject):
    """``STORAGES["materials"]``, looked up when first used (``forget`` looks it up again)."""

    def _setup(self):
        self._wrapped = storages["materials"]

    def forget(self) -> None:
        self._wrapped = empty


MATERIALS_STORAGE = MaterialsStorage()


def materials_storage():
    """The storage of materials (the ``FileField``'s callable, so migrations name no backend)."""
    return MATERIALS_STORAGE


def max_size() -> int:
    return settings.MATERIALS_MAX_UPLOAD_MB * 1024 * 1024


def extension(name: str) -> str:
    return pathlib.PurePath(name or "").suffix.lower()


def content_type(name: str) -> str:
    return ALLOWED_TYPES.get(extension(name), (None, "application/octet-stream"))[1]


def validate_material_file(file) -> None:
    """A PDF, PowerPoint or Word file no bigger than ``MATERIALS_MAX_UPLOAD_MB``, whose
    content is what its name says."""
    if getattr(file, "_committed", False) is True:
        return  # stored already: checked when it was uploaded
    name = pathlib.PurePath(getattr(file, "name", "") or "").name
    kind = ALLOWED_TYPES.get(extension(name))
    if kind is None:
        raise ValidationError(
            _(
                "“%(name)s” is not a file we can take. Upload a PDF, PowerPoint or Word file "
                "(.pdf, .pptx, .ppt, .docx or .doc)."
            ),
            code="material_type",
            params={"name": name},
        )
    if file.size > max_size():
        raise ValidationError(
            _("“%(name)s” is %(size)s; a file may be at most %(limit)s."),
            code="material_size",
            params={
                "name": name,
                "size": filesizeformat(file.size),
                "limit": filesizeformat(max_size()),
            },
        )
    position = file.tell() if hasattr(file, "tell") else 0
    file.seek(0)
    start = file.read(len(kind[0]))
    file.seek(position)
    if start != kind[0]:
        raise ValidationError(
            _(
                "“%(name)s” is not the file its name says (a %(extension)s file). Save it again "
                "from the program it was made in and upload that."
            ),
            code="material_content",
            params={"name": name, "extension": extension(name)},
        )


def material_path(instance, filename: str) -> str:
    """A random name in the event's folder; the given name is kept on the row."""
    return f"materials/{instance.event_id}/{uuid.uuid4().hex}{extension(filename)}"


def new_upload_key() -> str:
    return secrets.token_urlsafe(32)


def hash_upload_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def same_key_hash(stored: str, key: str) -> bool:
    return bool(stored) and hmac.compare_digest(stored, hash_upload_key(key))


def material_response(material) -> FileResponse:
    """A material's file as a download, under the name it was uploaded with. For views that
    have checked who asks."""
    try:
        handle = material.file.open("rb")
    except FileNotFoundError as missing:
        raise Http404 from missing
    name = material.original_name or "material" + extension(material.file.name)
    response = FileResponse(
        handle, as_attachment=True, filename=name, content_type=content_type(name)
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response
