"""Models, inputs and dumps whose answers (values, error texts, JSON) the pydantic stand-in must
give as pydantic-core does: run as a script, it prints them as JSON (test_python_pydantic.py runs
it over both, here and in the sandbox)."""
import datetime
import decimal
import enum
import json
import pathlib
import uuid
from typing import Annotated, Any, Literal, Optional, Union

from pydantic import (BaseModel, Field, ValidationError, field_validator, model_validator, TypeAdapter, AliasPath,
                      AliasChoices, ConfigDict, computed_field, field_serializer, model_serializer, HttpUrl, Json,
                      RootModel, SerializeAsAny, validate_call)
from pydantic import (Base64Bytes, ByteSize, IPvAnyAddress, PositiveInt, SecretStr, StrictInt, UUID4, AnyUrl,
                      AwareDatetime, condecimal, confloat, conint, conlist, constr)
from pydantic.alias_generators import to_camel
from pydantic.dataclasses import dataclass
from typing_extensions import TypedDict
import pydantic
import pydantic_core

# pydantic 2.10+: some cases' answers (error titles, JSON of floats) differ in the older pins' native module
MODERN = tuple(int(p) for p in pydantic.VERSION.split(".")[:2]) >= (2, 10)

out = []
def rec(label, fn):
    try:
        r = fn()
        out.append([label, "ok", repr(r)])
    except ValidationError as e:
        out.append([label, "err", str(e), e.json(), repr(e.errors(include_url=False)), e.error_count(), e.title])
    except Exception as e:
        out.append([label, "exc", type(e).__name__, str(e)])

class Color(str, enum.Enum):
    RED = "red"
    BLUE = "blue"


class Num(enum.IntEnum):
    ONE = 1
    TWO = 2
class Addr(BaseModel):
    street: str
    zip: Annotated[str, Field(pattern=r"^\d{5}$")]
class User(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="forbid")
    id: int
    name: str = Field(alias="userName", min_length=1, max_length=10)
    email: Optional[str] = None
    tags: list[str] = []
    scores: dict[str, float] = {}
    color: Color = Color.RED
    num: Num = Num.ONE
    created: datetime.datetime = datetime.datetime(2020, 1, 1)
    day: Optional[datetime.date] = None
    amount: decimal.Decimal = decimal.Decimal("0")
    uid: Optional[uuid.UUID] = None
    addr: Optional[Addr] = None
    pair: tuple[int, str] = (0, "")
    items: set[int] = set()
    flag: bool = False
    kind: Literal["a", "b"] = "a"
    url: Optional[HttpUrl] = None
    @field_validator("email")
    @classmethod
    def check_email(cls, v):
        if v is not None and "@" not in v:
            raise ValueError("email must contain @")
        return v
    @computed_field
    @property
    def upper(self) -> str:
        return self.name.upper()

inputs = [
    {"id": 1, "userName": "bob"},
    {"id": "2", "name": "al", "email": "a@b", "tags": ("x", "y"), "scores": {"a": "1.5"}, "color": "blue", "num": "2",
     "created": "2021-05-06T07:08:09.123Z", "day": "2020-02-29", "amount": "12.30", "uid": "123e4567-e89b-12d3-a456-426614174000",
     "addr": {"street": "Main", "zip": "12345"}, "pair": ["3", "x"], "items": [1, 2, 2], "flag": "yes", "kind": "b",
     "url": "https://Example.com/p?q=1"},
    {"id": 1.5, "userName": "", "email": "nope", "tags": "x", "scores": [], "color": "green", "num": 3, "created": "x",
     "day": "2020-02-30", "amount": "abc", "uid": "nope", "addr": {"zip": "1"}, "pair": [1], "items": [[1]], "flag": 2,
     "kind": "c", "url": "not a url", "extra": 1},
    {"id": None, "userName": "x" * 20},
    "not a dict",
    [1, 2],
    {"id": True, "userName": 5},
]
for i, data in enumerate(inputs):
    rec(f"user{i}", lambda data=data: User.model_validate(data))
    rec(f"userjson{i}", lambda data=data: User.model_validate_json(json.dumps(data)))
u = User.model_validate(inputs[1])
rec("dump", lambda: u.model_dump())
rec("dumpjson", lambda: u.model_dump_json())
rec("dump_alias", lambda: u.model_dump(by_alias=True, exclude_unset=True))
rec("dump_mode_json", lambda: u.model_dump(mode="json", exclude={"addr": {"zip"}, "tags": {0}}))
rec("dump_defaults", lambda: User(id=1, userName="z").model_dump(exclude_defaults=True))
rec("dump_none", lambda: User(id=1, userName="z").model_dump(exclude_none=True))
rec("assign", lambda: setattr(u, "id", "x"))
rec("copy", lambda: u.model_copy(update={"id": 9}).model_dump_json())
rec("strict", lambda: User.model_validate({"id": "1", "userName": "a"}, strict=True))

class Cat(BaseModel):
    pet_type: Literal["cat"]
    meows: int
class Dog(BaseModel):
    pet_type: Literal["dog"]
    barks: float
class Owner(BaseModel):
    pet: Union[Cat, Dog] = Field(discriminator="pet_type")
    pets: list[Annotated[Union[Cat, Dog], Field(discriminator="pet_type")]] = []
for d in [{"pet": {"pet_type": "cat", "meows": "3"}}, {"pet": {"pet_type": "cow"}}, {"pet": {}},
          {"pet": {"pet_type": "dog", "barks": "x"}, "pets": [{"pet_type": "cat", "meows": 1}, 5]}]:
    rec("owner", lambda d=d: Owner.model_validate(d))

class Tree(BaseModel):
    value: int
    children: list["Tree"] = []
rec("tree", lambda: Tree.model_validate({"value": 1, "children": [{"value": 2, "children": [{"value": "x"}]}]}))
rec("tree_ok", lambda: Tree.model_validate({"value": 1, "children": [{"value": 2}]}).model_dump_json())

class MV(BaseModel):
    a: int
    b: int
    @model_validator(mode="before")
    @classmethod
    def pre(cls, data):
        if isinstance(data, dict) and "ab" in data:
            a, b = data.pop("ab").split(",")
            data.update(a=a, b=b)
        return data
    @model_validator(mode="after")
    def post(self):
        if self.a > self.b:
            raise ValueError("a must be <= b")
        return self
for d in [{"ab": "1,2"}, {"ab": "3,2"}, {"a": 1}]:
    rec("mv", lambda d=d: MV.model_validate(d))

class Ser(BaseModel):
    when: datetime.datetime
    td: datetime.timedelta
    raw: bytes
    @field_serializer("when")
    def ser_when(self, v):
        return v.strftime("%Y")
    @model_serializer(mode="wrap")
    def wrap(self, handler):
        d = handler(self)
        d["extra"] = True
        return d
s = Ser(when="2020-01-02T03:04:05+01:00", td="P1DT2H", raw=b"hi")
rec("ser", lambda: s.model_dump())
rec("serjson", lambda: s.model_dump_json())

class TD(TypedDict):
    a: int
    b: str
ta = TypeAdapter(TD)
rec("td", lambda: ta.validate_python({"a": "1", "b": "x"}))
rec("td_err", lambda: ta.validate_python({"a": "x"}))
rec("ta_list", lambda: TypeAdapter(list[int]).validate_json("[1, 2, \"x\"]"))
rec("ta_json_bad", lambda: TypeAdapter(list[int]).validate_json("[1, 2"))
rec("ta_dump", lambda: TypeAdapter(dict[str, datetime.date]).dump_json({"a": datetime.date(2020, 1, 1)}))

@dataclass
class DC:
    x: int
    y: str = "d"
rec("dc", lambda: DC(x="1"))
rec("dc_err", lambda: DC(x="q"))

@validate_call
def add(a: int, b: int = 2) -> int:
    return a + b
rec("call", lambda: add("1", b="3"))
rec("call_err", lambda: add("x"))

class AP(BaseModel):
    first: str = Field(validation_alias=AliasPath("names", 0))
    last: str = Field(validation_alias=AliasChoices("last", "surname"))
rec("ap", lambda: AP.model_validate({"names": ["a", "b"], "surname": "c"}))
rec("ap_err", lambda: AP.model_validate({"names": []}))

class J(BaseModel):
    payload: Json[dict[str, int]]
rec("json", lambda: J.model_validate({"payload": '{"a": 1}'}))
rec("json_err", lambda: J.model_validate({"payload": '{"a": "x"}'}))
rec("json_bad", lambda: J.model_validate({"payload": '{"a": '}))

R = RootModel[list[int]]
rec("root", lambda: R.model_validate(["1", 2]).model_dump_json())
rec("root_err", lambda: R.model_validate("x"))
rec("union_num", lambda: TypeAdapter(Union[float, int]).validate_python(1))
rec("union_str", lambda: TypeAdapter(Union[int, str]).validate_python("1"))
rec("opt_model", lambda: TypeAdapter(Optional[Addr]).validate_python({"street": 1}))
rec("frozen", lambda: TypeAdapter(frozenset[int]).validate_python([1, "2"]))


class Bounds(BaseModel):
    f: float = Field(gt=0)
    d: decimal.Decimal = Field(ge=0, max_digits=4)
    s: str = Field(min_length=3)
    n: int = Field(lt=10)


rec("bounds", lambda: Bounds(f=0, d=-0.1, s=b"ab", n="12"))
rec("bounds_ok", lambda: Bounds(f="1.5", d="12.5", s="abc", n=True).model_dump_json())

class Types(BaseModel):
    """pydantic's own types (built on pydantic-core's schemas), named by camel-case aliases."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, str_strip_whitespace=True)
    secret: SecretStr
    ip: IPvAnyAddress
    count: conint(ge=1, le=5) = 1
    code: constr(pattern=r"^[A-Z]{2}$") = "AB"
    pos: PositiveInt = 1
    uid: Optional[UUID4] = None
    url: Optional[AnyUrl] = None
    path: Optional[pathlib.Path] = None
    b64: Optional[Base64Bytes] = None
    size: Optional[ByteSize] = None
    strict_i: StrictInt = 0
    aware: Optional[AwareDatetime] = None
    ratio: confloat(ge=0, le=1) = 0.5
    price: condecimal(max_digits=5, decimal_places=2) = decimal.Decimal("1.00")
    items: conlist(int, min_length=1, max_length=3) = [1]
    any_field: Any = None


TYPES = [{"secret": "s3cr3t", "ip": "10.0.0.1", "count": "3", "code": " XY ", "uid": "123e4567-e89b-42d3-a456-426614174000",
          "url": "postgres://u:p@host:5432/db?x=1", "path": "/tmp/a", "b64": "aGVsbG8=", "size": "1.5 KiB", "strictI": 3,
          "aware": "2020-01-01T00:00:00+02:00", "ratio": "0.25", "price": "12.34", "items": [1, "2"],
          "anyField": {"a": [1]}},
         {"secret": 1, "ip": "999.1.1.1", "count": 9, "code": "xyz", "pos": -1,
          "uid": "123e4567-e89b-12d3-a456-426614174000", "url": "not a url", "b64": "!!", "size": "lots",
          "strict_i": "3", "aware": "2020-01-01T00:00:00", "ratio": 2, "price": "1234.567", "items": []}]
for data in TYPES:
    rec("types", lambda data=data: Types.model_validate(data))
    rec("types_dump", lambda data=data: Types.model_validate(data).model_dump())
    rec("types_json", lambda data=data: Types.model_validate(data).model_dump_json(by_alias=True))
    rec("types_mode_json", lambda data=data: Types.model_validate(data).model_dump(mode="json", exclude_none=True))
rec("types_schema", lambda: json.dumps(Types.model_json_schema(), sort_keys=True))
rec("dates_json", lambda: TypeAdapter(dict[str, list[datetime.date]]).validate_json('{"a": ["2020-01-01", "bad"]}'))

class Card(BaseModel):
    number: str


class Wire(BaseModel):
    iban: str


class Payment(BaseModel):
    """A union of models used twice (so its models are definitions): its errors name each model."""
    method: Union[Card, Wire]
    fallbacks: list[Union[Card, Wire]] = []


rec("union_models", lambda: Payment.model_validate({"method": {}, "fallbacks": [5]}))

rec("strict_uuid_enum", lambda: TypeAdapter(tuple[uuid.UUID, Color, Num]).validate_python(
    (str(uuid.UUID(int=1)), "red", 1), strict=True))
rec("union_enums", lambda: TypeAdapter(list[Union[Color, Num, None]]).validate_python(["x"]))

# bodies cut short or mistyped (an empty POST body, a truncated upload): jiter's words and positions
for body in ["", "\n", '{"a": 1,', '{"a": [1, tru', '{"a": [1,]}', '{"a": 1,}', '{\n  "a": 1\n', '{"a": 1.', '"\\x"',
             '{"a": 1} nul', "\ufeff{}"]:
    rec("json_syntax", lambda body=body: TypeAdapter(Json[dict]).validate_python(body))


class Reading(BaseModel):
    """inf/nan: kept in mode="json" Python values (an untyped one is None for "null"), null/constants in JSON text."""
    value: float
    extra: Any = None
    series: list[float] = []


for mode in ("null", "constants") if MODERN else ():  # ("strings" is pydantic 2.11+)
    Reading.model_config["ser_json_inf_nan"] = mode
    Reading.model_rebuild(force=True)
    reading = Reading(value=float("inf"), extra=float("nan"), series=[float("-inf")])
    rec("inf_nan", lambda reading=reading: [reading.model_dump(mode="json"), reading.model_dump_json()])

# numbers as text: a timestamp for a date/datetime (a date only when it is midnight), not for a time or a duration
for kind in (datetime.date, datetime.time, datetime.timedelta):
    for text in ["12", "86400", "1700000000", "20240101", "-1", " 12", "0", "5", "", "P1DT", "PT", "p1d",
                 "10:00:00.123456789", 1e14]:
        rec("temporal_text", lambda kind=kind, text=text: TypeAdapter(kind).validate_python(text))


class Blob(BaseModel):
    """Bytes that are not UTF-8 (a gzipped Kinesis record): mode="json" lets the decoding error out, JSON text wraps it."""
    data: bytes


rec("bytes_not_utf8_python", lambda: Blob(data=b"\x1f\x8b\x08").model_dump(mode="json"))
rec("bytes_not_utf8_json", lambda: Blob(data=b"\x1f\x8b\x08").model_dump_json())

# bytes given for numbers, decimals and dates: read as bytes (not UTF-8 just fails to parse), a Decimal takes none
def parse_bytes(kind, raw):
    try:
        return TypeAdapter(kind).validate_python(raw)
    except ValidationError as e:  # its .json() fails when the input is not UTF-8 (as rec would call it)
        return str(e), e.errors(include_url=False), e.json() if raw.isascii() else None


for kind in (int, float, decimal.Decimal, datetime.date, datetime.datetime, datetime.time, datetime.timedelta):
    for raw in (b"12", b"\xff\x01"):
        rec("bytes_input", lambda kind=kind, raw=raw: parse_bytes(kind, raw))
try:
    TypeAdapter(int).validate_python(b"\xff")
except ValidationError as e:
    rec("bytes_input_error_json", e.json)

# numbers: a Decimal from a JSON number has the number's digits (1.0 -> 1, 1e3 -> 1000), an int from a float fits
# in 64 bits, text with a fraction is no int, digits are ASCII ones
for body in ["1.0", "1e3", "-0.0", "19.99", "2.5e-7", "100"]:
    rec("decimal_json", lambda body=body: TypeAdapter(decimal.Decimal).validate_json(body))
    rec("decimal_json_dump", lambda body=body: TypeAdapter(dict[str, decimal.Decimal]).dump_json(
        TypeAdapter(dict[str, decimal.Decimal]).validate_json('{"price": %s}' % body)))
def parse_text(kind, value):
    try:
        return TypeAdapter(kind).validate_python(value)
    except ValidationError as e:
        return str(e), e.errors(include_url=False)


for kind in (int, float):
    for value in [1e19, -1e20, 9e18, "1.5", ".5", "\u0663", "1\u0660"]:  # errors as text: JSON writes 1e19 its own way
        rec("number_edges", lambda kind=kind, value=value: parse_text(kind, value))


class Checked(BaseModel):
    """A model with an after validator (its schema wraps the model's): held where the type is not known."""
    n: int

    @model_validator(mode="after")
    def positive(self):
        if self.n < 0:
            raise ValueError("negative")
        return self


class Envelope(BaseModel):
    payload: Any = None
    extras: dict[str, Any] = {}


rec("any_holds_checked_model", lambda: [Envelope(payload=Checked(n=1), extras={"c": [Checked(n=2)]}).model_dump(),
                                        Envelope(payload=Checked(n=1)).model_dump_json()])


class Budget(BaseModel):
    """validate_assignment with model validators of each mode: each runs again on assignment."""
    model_config = ConfigDict(validate_assignment=True)
    spent: int = 0
    limit: int = 10
    seen: list = []

    @model_validator(mode="before")
    @classmethod
    def before(cls, data):
        Budget.calls.append(["before", sorted(data) if isinstance(data, dict) else type(data).__name__])
        return data

    @model_validator(mode="wrap")
    @classmethod
    def wrap(cls, data, handler):
        Budget.calls.append(["wrap", type(data).__name__])
        return handler(data)

    @model_validator(mode="after")
    def within(self):
        if self.spent > self.limit:
            raise ValueError("over budget")
        return self


def budget_assignments():
    Budget.calls = []
    b = Budget()
    b.spent = "5"
    for bad in (50, "x"):
        try:
            b.spent = bad
        except ValidationError as e:
            Budget.calls.append(str(e))
    return Budget.calls, b.spent, sorted(b.model_fields_set)


rec("assign_model_validators", budget_assignments)

# Literal: Python's equality (True and 1.0 are 1, a str enum's member its value), no parsing ('1' is not 1)
for kind in (Literal[1, 2, "three"], Literal[True], Literal[Color.RED], Literal[None, 1]):
    for value in ["1", 1.0, True, 1, "red", "True"]:
        rec("literal_match", lambda kind=kind, value=value: TypeAdapter(kind).validate_python(value))
        rec("literal_match_strict", lambda kind=kind, value=value: TypeAdapter(kind).validate_python(value, strict=True))

# max_length: a list counts what it reads and names the input's length, a tuple, set or dict what it keeps
for kind in (conlist(int, max_length=2), Annotated[tuple[int, ...], Field(max_length=2)],
             Annotated[set[int], Field(max_length=2)], Annotated[dict[str, int], Field(max_length=1)]) if MODERN else ():
    for value in ([1, "x", 3, 4], ["a", "b", "c"], [1, 1, 1, 1], {"a": 1, "b": 2}, {"a": "x", "b": "y"}):
        rec("max_length", lambda kind=kind, value=value: TypeAdapter(kind).validate_python(value))


class Animal(BaseModel):
    name: str


class Pet(Animal):
    owner: str


class Shelter(BaseModel):
    """SerializeAsAny: a subclass's own fields are dumped, not only the declared type's."""
    star: SerializeAsAny[Animal]
    others: list[Animal] = []


rec("serialize_as_any", lambda: [Shelter(star=Pet(name="rex", owner="ann"), others=[Pet(name="tom", owner="bo")]).model_dump(),
                                 Shelter(star=Pet(name="rex", owner="ann")).model_dump_json()])

# a URL of a scheme not allowed (its error lists them as pydantic-core does), through a wrap validator (HttpUrl's)
rec("url_scheme", lambda: TypeAdapter(HttpUrl).validate_python("ftp://example.com") if MODERN else None)
# URLs built from parts: a path is put after "/" as it is (a leading "/" makes "//"), as the url crate does
rec("url_build", lambda: [str(pydantic_core.Url.build(scheme="https", host="x.io", username="u", password="p",
                                                      port=8443, path=p, query="q=1", fragment="f"))
                          for p in (None, "p", "/a/b")]
    + [str(pydantic_core.MultiHostUrl.build(scheme="postgres", hosts=[{"host": "a", "port": 5432},
                                                                       {"host": "b", "username": "u"}], path="/db"))])

# include/exclude with an index counted from the end
rec("exclude_from_end", lambda: [Payment(method={"number": "1"}, fallbacks=[{"iban": "A"}, {"number": "2"}, {"iban": "B"}])
                                 .model_dump(exclude={"fallbacks": {-1: True, 0: {"iban"}}}),
                                 TypeAdapter(list[int]).dump_python([1, 2, 3], include={-2})])

# round_trip: a Json field dumps as the JSON text it is read from, so the dump validates again
rec("json_round_trip", lambda: [J(payload='{"a": 1, "b": 2}').model_dump(round_trip=True),
                                J(payload='{"a": 1}').model_dump_json(round_trip=True),
                                J.model_validate_json(J(payload='{"a": 1}').model_dump_json(round_trip=True)).model_dump()])

print(json.dumps(out, indent=1))
