"""S3's REST-XML: documents out, small documents in, and S3's error shape
(``<Error><Code/><Message/>...<RequestId/></Error>``; HEAD answers carry none)."""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET
from datetime import datetime, timezone
from email.utils import formatdate
from typing import Any, Iterable
from xml.sax.saxutils import escape

from ...buckets import BucketError

NS = "http://s3.amazonaws.com/doc/2006-03-01/"
HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n'


def iso(t: float) -> str:
    return datetime.fromtimestamp(t, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{int(t * 1000) % 1000:03d}Z"


def http_date(t: float) -> str:
    return formatdate(t, usegmt=True)


def el(name: str, value: Any) -> str:
    return f"<{name}>{escape(str(value))}</{name}>"


def doc(root: str, parts: Iterable[str]) -> bytes:
    return (f'{HEAD}<{root} xmlns="{NS}">' + "".join(parts) + f"</{root}>").encode()


def error_doc(e: BucketError, request_id: str, resource: str = "") -> bytes:
    fields = "".join(el(k, v) for k, v in e.fields.items())
    return (f"{HEAD}<Error>{el('Code', e.code)}{el('Message', e.message)}{fields}"
            f"{el('Resource', resource) if resource else ''}{el('RequestId', request_id)}"
            f"{el('HostId', request_id)}</Error>").encode()


def parse(body: bytes) -> ET.Element:
    """A client's XML, namespaces dropped (clients send them or not). DOCTYPEs are
    refused: no entity expansion of any kind."""
    if b"<!DOCTYPE" in body or b"<!ENTITY" in body:
        raise malformed()
    try:
        root = ET.fromstring(body)
    except ET.ParseError:
        raise malformed() from None
    for node in root.iter():
        if isinstance(node.tag, str) and "}" in node.tag:
            node.tag = node.tag.split("}", 1)[1]
    return root


def malformed() -> BucketError:
    return BucketError("MalformedXML", "The XML you provided was not well-formed or did not validate against our "
                       "published schema")


def text(node: ET.Element, name: str, default: str = "") -> str:
    child = node.find(name)
    return child.text or "" if child is not None else default


def notification_to_xml(config: dict[str, Any]) -> bytes:
    parts = []
    for c in config.get("LambdaFunctionConfigurations", ()):
        rules = "".join(f"<FilterRule>{el('Name', r['Name'])}{el('Value', r['Value'])}</FilterRule>"
                        for r in ((c.get("Filter") or {}).get("Key") or {}).get("FilterRules", ()))
        parts.append("<CloudFunctionConfiguration>" + el("Id", c["Id"]) + el("CloudFunction", c["LambdaFunctionArn"])
                     + "".join(el("Event", e) for e in c["Events"])
                     + (f"<Filter><S3Key>{rules}</S3Key></Filter>" if rules else "") + "</CloudFunctionConfiguration>")
    return doc("NotificationConfiguration", parts)


def notification_from_xml(body: bytes) -> dict[str, Any]:
    root = parse(body) if body.strip() else ET.Element("NotificationConfiguration")
    if root.tag != "NotificationConfiguration":
        raise malformed()
    lambdas = []
    for c in root.findall("CloudFunctionConfiguration"):
        rules = [{"Name": text(r, "Name"), "Value": text(r, "Value")} for r in c.findall("Filter/S3Key/FilterRule")]
        lambdas.append({"Id": text(c, "Id"), "LambdaFunctionArn": text(c, "CloudFunction"),
                        "Events": [e.text or "" for e in c.findall("Event")],
                        **({"Filter": {"Key": {"FilterRules": rules}}} if rules else {})})
    return {"LambdaFunctionConfigurations": lambdas,
            "QueueConfigurations": root.findall("QueueConfiguration"),
            "TopicConfigurations": root.findall("TopicConfiguration")}


def now() -> float:
    return time.time()
