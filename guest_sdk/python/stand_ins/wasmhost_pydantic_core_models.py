"""The structured validators of the stand-in (see ``wasmhost_pydantic_core``): models and their
fields, typed dicts, dataclasses, function arguments and ``validate_call``. Field lookup
follows pydantic-core: by alias (a name, or paths such as ``AliasPath``/``AliasChoices``)
and/or by name, from a dict or (``from_attributes``) an object's attributes.
"""

from __future__ import annotations

import collections.abc

from wasmhost_pydantic_core_errors import Line, ValError, fail
from wasmhost_pydantic_core_types import ArgsKwargs, PydanticUndefined

MISSING = PydanticUndefined
_set_attr = object.__setattr__


def _import_v():
    import wasmhost_pydantic_core_validators as V  # noqa: PLC0415 - the two modules use each other
    return V


class _Field:
    __slots__ = ("name", "paths", "v", "frozen", "required", "kw_only", "init", "init_only", "alias_loc")

    def __init__(self, name, schema, b, alias):
        self.name = name
        self.v = b.build(schema)
        self.frozen = False
        self.required = True
        self.kw_only = False
        self.init = True
        self.init_only = False
        if alias is None:
            self.paths = None
        elif isinstance(alias, str):
            self.paths = [[alias]]
        elif alias and isinstance(alias[0], list):
            self.paths = [list(p) for p in alias]
        else:
            self.paths = [list(alias)]


def _get_path(x, path, attrs):
    cur = x
    for i, p in enumerate(path):
        if isinstance(cur, dict):
            cur = cur.get(p, MISSING)
        elif isinstance(cur, (list, tuple)) and isinstance(p, int):
            cur = cur[p] if -len(cur) <= p < len(cur) else MISSING
        elif i == 0 and attrs and isinstance(p, str):
            cur = getattr(cur, p, MISSING)
        elif isinstance(cur, collections.abc.Mapping):
            cur = cur.get(p, MISSING)
        else:
            return MISSING
        if cur is MISSING:
            return MISSING
    return cur


class _FieldsMixin:
    """Reading the fields' values from the input."""

    def _setup(self, schema, cfg):
        self.by_alias = cfg.get("validate_by_alias", True)
        self.by_name = cfg.get("validate_by_name", cfg.get("populate_by_name", False))
        self.from_attributes = schema.get("from_attributes", cfg.get("from_attributes", False))
        self.extra = schema.get("extra_behavior") or cfg.get("extra_fields_behavior") or "ignore"
        self.loc_by_alias = cfg.get("loc_by_alias", True)

    def _lookup(self, f, x, st, attrs):
        value, loc = self._find(f, x, st, attrs)
        return value, (loc if self.loc_by_alias else (f.name,))

    def _find(self, f, x, st, attrs):
        by_alias = self.by_alias if st.by_alias is None else st.by_alias
        by_name = self.by_name if st.by_name is None else st.by_name
        if f.paths is not None and by_alias:
            for path in f.paths:
                value = _get_path(x, path, attrs)
                if value is not MISSING:
                    return value, tuple(path)
        if f.paths is None or by_name or not by_alias:
            if attrs:
                value = getattr(x, f.name, MISSING) if not isinstance(x, dict) else x.get(f.name, MISSING)
            else:
                value = x.get(f.name, MISSING)
            if value is not MISSING:
                return value, (f.name,)
        if f.paths is not None and by_alias:
            return MISSING, tuple(f.paths[0])
        return MISSING, (f.name,)

    # the error for an input that is neither a dict nor (from_attributes) an object, by kind
    WRONG_TYPE = {"model": "model_type", "dataclass": "dataclass_type"}

    def _input(self, x, st):
        """The input as a dict (or an object read by attribute): (input, from_attributes)."""
        if isinstance(x, dict):
            return x, False
        from_attrs = self.from_attributes if st.from_attributes is None else st.from_attributes
        if not st.json and isinstance(x, collections.abc.Mapping) and not (self.strict if st.strict is None else st.strict):
            return dict(x), False
        if from_attrs and not st.json and not isinstance(x, (str, bytes, int, float, list, tuple)):
            return x, True
        if from_attrs:
            fail("model_attributes_type", x)
        if self.model_name is not None and self.kind in self.WRONG_TYPE:
            fail(self.WRONG_TYPE[self.kind], x, {"class_name": self.model_name})
        fail("dict_type", x)


class ModelFieldsV(_FieldsMixin):
    has_default = False
    strict = False

    def __init__(self, schema, cfg, b):
        self._setup(schema, cfg)
        self.strict = schema.get("strict", cfg.get("strict", False))
        self.model_name = schema.get("model_name")
        self.kind = "model"
        self.name = "model-fields"
        self.fields = []
        for name, fs in schema["fields"].items():
            f = _Field(name, fs["schema"], b, fs.get("validation_alias"))
            f.frozen = fs.get("frozen", False)
            self.fields.append(f)
        self.by_field = {f.name: f for f in self.fields}
        self.extras_v = b.build(schema["extras_schema"]) if schema.get("extras_schema") else None
        self.extras_keys_v = b.build(schema["extras_keys_schema"]) if schema.get("extras_keys_schema") else None
        self.names = set(self.by_field)
        # the usual case, each field read from one key of a dict: (field, key, its location)
        self.keyed = [(f, k, (k,)) for f, k in ((f, self._key(f)) for f in self.fields)]
        if any(k is None for _, k, _ in self.keyed) or not self.loc_by_alias:
            self.keyed = None

    def _key(self, f):
        if f.paths is None:
            return f.name
        if self.by_alias and not self.by_name and len(f.paths) == 1 and len(f.paths[0]) == 1 \
                and isinstance(f.paths[0][0], str):
            return f.paths[0][0]
        return None

    def v(self, x, st):
        x, attrs = self._input(x, st)
        out = {}
        fields_set = set()
        errors = []
        data_before, st.data = st.data, out
        field_before = st.field_name
        used = set()
        keyed = self.keyed if not attrs and st.by_alias is None and st.by_name is None else None
        try:
            for f, key, loc in keyed or ((f, None, None) for f in self.fields):
                if key is not None:
                    value = x.get(key, MISSING)
                else:
                    value, loc = self._lookup(f, x, st, attrs)
                st.field_name = f.name
                if value is MISSING:
                    if f.v.has_default:
                        try:
                            out[f.name] = f.v.default_value(st)
                        except ValError as e:
                            errors.extend(e.at(f.name).lines)
                        continue
                    errors.append(Line("missing", x, None, loc))
                    continue
                used.add(loc[0])
                try:
                    out[f.name] = f.v.v(value, st)
                    fields_set.add(f.name)
                except ValError as e:
                    for line in e.lines:
                        line.loc = loc + line.loc
                    errors.extend(e.lines)
                except _omit():
                    pass
        finally:
            st.data = data_before
            st.field_name = field_before
        extra = st.extra or self.extra
        model_extra = None
        if extra != "ignore" and not attrs:
            if extra == "allow":
                model_extra = {}
            for k, val in x.items():
                if k in used or self._is_lookup_key(k):
                    continue
                if extra == "forbid":
                    errors.append(Line("extra_forbidden", val, None, (k,)))
                else:
                    if self.extras_keys_v is not None:
                        try:
                            k = self.extras_keys_v.v(k, st)
                        except ValError as e:
                            errors.extend(e.at(k).lines)
                            continue
                    if self.extras_v is not None:
                        try:
                            val = self.extras_v.v(val, st)
                        except ValError as e:
                            errors.extend(e.at(k).lines)
                            continue
                    model_extra[k] = val
                    fields_set.add(k)
        elif extra == "allow":
            model_extra = {}
        if errors:
            raise ValError(errors)
        st.fset = (st.fset or 0) + len(fields_set) - (len(model_extra) if model_extra else 0)
        return out, model_extra, fields_set

    def _is_lookup_key(self, k):
        f = self.by_field.get(k)
        if f is not None:
            return True
        for f in self.fields:
            if f.paths and any(p[0] == k for p in f.paths):
                return True
        return False

    def assign(self, d, name, value, st):
        """Validate ``value`` for field ``name`` of the dict ``d`` (a model's ``__dict__`` and
        extras), updated in place: (fields dict, extras or None, {name})."""
        extra = st.extra or self.extra
        f = self.by_field.get(name)
        if f is not None and f.frozen:
            raise ValError([Line("frozen_field", value, None, (name,))])
        if f is None and extra != "allow":
            raise ValError([Line("no_such_attribute", value, {"attribute": name}, (name,))])
        v = f.v if f is not None else self.extras_v
        before, st.data = st.data, {k: val for k, val in d.items() if k != name}
        field_before, st.field_name = st.field_name, name
        try:
            d[name] = v.v(value, st) if v is not None else value
        except ValError as e:
            raise e.at(name) from None
        finally:
            st.data = before
            st.field_name = field_before
        new_extra = None
        if extra == "allow":
            fields = {f.name: d.pop(f.name) for f in self.fields if f.name in d}
            new_extra = dict(d)
            d.clear()
            d.update(fields)
        return d, new_extra, {name}

    def _extra_value(self, name, value, st):
        try:
            return self.extras_v.v(value, st)
        except ValError as e:
            raise e.at(name) from None


def _omit():
    from wasmhost_pydantic_core_errors import PydanticOmit  # noqa: PLC0415
    return PydanticOmit


class ModelV:
    has_default = False
    strict = False

    def __init__(self, schema, cfg, b):
        self.cls = schema["cls"]
        cfg = {**cfg, **(schema.get("config") or {})}
        self.inner = b.__class__(cfg)
        self.inner.defs, self.inner.built = b.defs, b.built
        self.inner = self.inner.build(schema["schema"])
        self.name = self.cls.__name__
        self.root = schema.get("root_model", False)
        self.custom_init = schema.get("custom_init", False)
        self.post_init = schema.get("post_init")
        self.revalidate = schema.get("revalidate_instances", cfg.get("revalidate_instances", "never"))
        self.strict = schema.get("strict", cfg.get("strict", False))
        self.frozen = schema.get("frozen", False)
        if isinstance(self.inner, ModelFieldsV) and self.inner.model_name is None:
            self.inner.model_name = self.name
        self.exact = self.cls

    def v(self, x, st):
        cls = self.cls
        if st.self_instance is not None:
            obj, st.self_instance = st.self_instance, None
            self._fill(obj, x, st)
            return obj
        if isinstance(x, cls):
            rv = self.revalidate
            if rv == "never" or (rv == "subclass-instances" and type(x) is cls):
                return x
            if self.root:
                return self._make(x.__dict__["root"], st)
            fields_set = x.__pydantic_fields_set__
            data = dict(x.__dict__)
            if x.__pydantic_extra__:
                data.update(x.__pydantic_extra__)
            obj = self._make(data, st)
            _set_attr(obj, "__pydantic_fields_set__", set(fields_set))
            return obj
        if self.custom_init:
            if isinstance(x, dict):
                return cls(**x)
            if self.root:
                return cls(x)
        return self._make(x, st)

    def _make(self, x, st):
        if st.exact > 1:
            st.exact = 1  # a new model: not an exact match
        obj = self.cls.__new__(self.cls)
        self._fill(obj, x, st)
        return obj

    def _fill(self, obj, x, st):
        if self.root:
            if x is MISSING:
                if not self.inner.has_default:
                    fail("missing", x)
                value, fields_set = self.inner.default_value(st), set()
            else:
                value, fields_set = self.inner.v(x, st), {"root"}
            _set_attr(obj, "__dict__", {"root": value})
            _set_attr(obj, "__pydantic_extra__", None)
            _set_attr(obj, "__pydantic_fields_set__", fields_set)
            _set_attr(obj, "__pydantic_private__", None)
        else:
            d, extra, fields_set = self.inner.v(x, st)
            _set_attr(obj, "__dict__", d)
            _set_attr(obj, "__pydantic_extra__", extra)
            _set_attr(obj, "__pydantic_private__", None)
            _set_attr(obj, "__pydantic_fields_set__", fields_set)
        if self.post_init:
            getattr(obj, self.post_init)(st.context)

    def assign(self, obj, name, value, st):
        if self.frozen:
            raise ValError([Line("frozen_instance", value, None, (name,))])
        if self.root:
            if name != "root":
                raise ValError([Line("no_such_attribute", value, {"attribute": name}, (name,))])
            new = self.inner.v(value, st)
            _set_attr(obj, "__dict__", {"root": new})
            obj.__pydantic_fields_set__.add("root")
            return obj
        d = dict(obj.__dict__)
        if obj.__pydantic_extra__:
            d.update(obj.__pydantic_extra__)
        d[name] = value
        new, extra, fields_set = _import_v().assign(self.inner, d, name, value, st)
        obj.__pydantic_fields_set__.update(fields_set)
        _set_attr(obj, "__dict__", new)
        _set_attr(obj, "__pydantic_extra__", extra)
        return obj


class TypedDictV(_FieldsMixin):
    has_default = False
    strict = False

    def __init__(self, schema, cfg, b):
        cfg = {**cfg, **(schema.get("config") or {})}
        self._setup(schema, cfg)
        self.strict = schema.get("strict", cfg.get("strict", False))
        self.model_name = None
        self.kind = "typed-dict"
        cls = schema.get("cls")
        self.name = f"typed-dict[{cls.__name__}]" if cls is not None else "typed-dict"
        total = schema.get("total", cfg.get("typed_dict_total", True))
        self.fields = []
        for name, fs in schema["fields"].items():
            f = _Field(name, fs["schema"], b, fs.get("validation_alias"))
            f.required = fs.get("required", total)
            self.fields.append(f)
        self.extras_v = b.build(schema["extras_schema"]) if schema.get("extras_schema") else None
        self.keys = {f.name for f in self.fields} | {p[0] for f in self.fields if f.paths for p in f.paths}

    def v(self, x, st):
        x, attrs = self._input(x, st)
        out, errors = {}, []
        before, st.data = st.data, out
        try:
            for f in self.fields:
                value, loc = self._lookup(f, x, st, attrs)
                if value is MISSING:
                    if f.v.has_default:
                        out[f.name] = f.v.default_value(st)
                    elif f.required:
                        errors.append(Line("missing", x, None, loc))
                    continue
                try:
                    out[f.name] = f.v.v(value, st)
                except ValError as e:
                    for line in e.lines:
                        line.loc = loc + line.loc
                    errors.extend(e.lines)
                except _omit():
                    pass
        finally:
            st.data = before
        extra = st.extra or self.extra
        if extra != "ignore" and not attrs:
            for k, val in x.items():
                if k in self.keys:
                    continue
                if extra == "forbid":
                    errors.append(Line("extra_forbidden", val, None, (k,)))
                else:
                    if self.extras_v is not None:
                        try:
                            val = self.extras_v.v(val, st)
                        except ValError as e:
                            errors.extend(e.at(k).lines)
                            continue
                    out[k] = val
        if errors:
            raise ValError(errors)
        return out


def _typed_dict_assign(self, d, name, value, st):
    f = next((f for f in self.fields if f.name == name), None)
    if f is None:
        if (st.extra or self.extra) != "allow":
            raise ValError([Line("no_such_attribute", value, {"attribute": name}, (name,))])
        d[name] = value
        return d
    try:
        d[name] = f.v.v(value, st)
    except ValError as e:
        raise e.at(name) from None
    return d


TypedDictV.assign = _typed_dict_assign


class DataclassArgsV(_FieldsMixin):
    has_default = False
    strict = False

    def __init__(self, schema, cfg, b):
        self._setup(schema, cfg)
        self.strict = schema.get("strict", cfg.get("strict", False))
        self.model_name = schema.get("dataclass_name")
        self.kind = "dataclass"
        self.name = f"dataclass-args[{self.model_name}]"
        self.fields = []
        for fs in schema["fields"]:
            f = _Field(fs["name"], fs["schema"], b, fs.get("validation_alias"))
            f.kw_only = fs.get("kw_only", True)
            f.init = fs.get("init", True)
            f.init_only = fs.get("init_only", False)
            f.frozen = fs.get("frozen", False)
            self.fields.append(f)
        self.positional = [f for f in self.fields if not f.kw_only and f.init]
        self.collect_init_only = schema.get("collect_init_only", False)
        self.by_field = {f.name: f for f in self.fields}

    def v(self, x, st):
        args = ()
        if isinstance(x, ArgsKwargs):
            args, kwargs = x.args, x.kwargs or {}
            attrs = False
        else:
            kwargs, attrs = self._input(x, st)
        out, init_only, errors = {}, [], []
        before, st.data = st.data, out
        try:
            for i, a in enumerate(args):
                if i >= len(self.positional):
                    errors.append(Line("unexpected_positional_argument", a, None, (i,)))
            for f in self.fields:
                if not f.init:
                    if f.v.has_default:
                        out[f.name] = f.v.default_value(st)
                    continue
                pos = self.positional.index(f) if f in self.positional else -1
                if 0 <= pos < len(args):
                    value, loc = args[pos], (pos,)
                    kv, _ = self._lookup(f, kwargs, st, attrs)
                    if kv is not MISSING:
                        errors.append(Line("multiple_argument_values", kv, None, (f.name,)))
                        continue
                else:
                    value, loc = self._lookup(f, kwargs, st, attrs)
                st.field_name = f.name
                if value is MISSING:
                    if f.v.has_default:
                        value = f.v.default_value(st)
                        if f.init_only:
                            init_only.append(value)
                        else:
                            out[f.name] = value
                        continue
                    errors.append(Line("missing", x if not isinstance(x, ArgsKwargs) else x, None, loc))
                    continue
                try:
                    value = f.v.v(value, st)
                except ValError as e:
                    for line in e.lines:
                        line.loc = loc + line.loc
                    errors.extend(e.lines)
                    continue
                if f.init_only:
                    init_only.append(value)
                else:
                    out[f.name] = value
        finally:
            st.data = before
        extra = st.extra or self.extra
        if extra != "ignore" and not attrs:
            known = {f.name for f in self.fields} | {p[0] for f in self.fields if f.paths for p in f.paths}
            for k, val in kwargs.items():
                if k in known:
                    continue
                if extra == "forbid":
                    errors.append(Line("unexpected_keyword_argument", val, None, (k,)))
                else:
                    out[k] = val
        if errors:
            raise ValError(errors)
        st.fset = (st.fset or 0) + sum(1 for f in self.fields if f.name in out)
        return out, (tuple(init_only) if self.collect_init_only else None)

    def assign(self, obj, name, value, st):
        """Validate ``value`` for field ``name`` of the dataclass ``obj``, set on it."""
        f = self.by_field.get(name)
        extra = st.extra or self.extra
        if f is None:
            if extra != "allow":
                raise ValError([Line("no_such_attribute", value, {"attribute": name}, (name,))])
            _set_attr(obj, name, value)
            return obj
        if f.frozen:
            raise ValError([Line("frozen_field", value, None, (name,))])
        before = st.data
        st.data = {g.name: getattr(obj, g.name) for g in self.fields if g.name != name and hasattr(obj, g.name)}
        try:
            new = f.v.v(value, st)
        except ValError as e:
            raise e.at(name) from None
        finally:
            st.data = before
        _set_attr(obj, name, new)
        return obj


class DataclassV:
    has_default = False
    strict = False

    def __init__(self, schema, cfg, b):
        self.cls = schema["cls"]
        cfg = {**cfg, **(schema.get("config") or {})}
        sub = b.__class__(cfg)
        sub.defs, sub.built = b.defs, b.built
        self.inner = sub.build(schema["schema"])
        self.name = self.cls.__name__
        self.fields = schema.get("fields", [])
        self.post_init = schema.get("post_init", False)
        self.revalidate = schema.get("revalidate_instances", cfg.get("revalidate_instances", "never"))
        self.strict = schema.get("strict", cfg.get("strict", False))
        self.slots = schema.get("slots", False)
        self.frozen = schema.get("frozen", False)
        if isinstance(self.inner, DataclassArgsV) and self.inner.model_name is None:
            self.inner.model_name = self.name
        self.exact = self.cls

    def v(self, x, st):
        cls = self.cls
        if st.self_instance is not None:
            obj, st.self_instance = st.self_instance, None
            self._fill(obj, x, st)
            return obj
        if isinstance(x, cls):
            rv = self.revalidate
            if rv == "never" or (rv == "subclass-instances" and type(x) is cls):
                return x
            x = {f: getattr(x, f) for f in self.fields}
        elif (self.strict if st.strict is None else st.strict) and not st.json:
            fail("dataclass_exact_type", x, {"class_name": self.name})
        if st.exact > 1:
            st.exact = 1
        obj = cls.__new__(cls)
        self._fill(obj, x, st)
        return obj

    def _fill(self, obj, x, st):
        d, init_only = self.inner.v(x, st)
        if self.slots or self.frozen or not hasattr(obj, "__dict__"):
            for k, val in d.items():
                _set_attr(obj, k, val)
        else:
            obj.__dict__.update(d)
        if self.post_init:
            obj.__post_init__(*(init_only or ()))

    def assign(self, obj, name, value, st):
        if self.frozen:
            raise ValError([Line("frozen_instance", value, None, (name,))])
        return self.inner.assign(obj, name, value, st)


class ArgumentsV:
    has_default = False
    strict = False
    name = "arguments"

    def __init__(self, schema, cfg, b):
        self.params = []
        for p in schema["arguments_schema"]:
            f = _Field(p["name"], p["schema"], b, p.get("alias"))
            f.kw_only = p.get("mode", "positional_or_keyword")
            self.params.append(f)
        self.var_args = b.build(schema["var_args_schema"]) if schema.get("var_args_schema") else None
        self.var_kwargs = b.build(schema["var_kwargs_schema"]) if schema.get("var_kwargs_schema") else None
        self.var_kwargs_mode = schema.get("var_kwargs_mode", "uniform")
        if self.var_kwargs_mode != "uniform":
            from wasmhost_pydantic_core_validators import _bad  # noqa: PLC0415
            _bad("unpacked TypedDict **kwargs")
        self.by_alias = cfg.get("validate_by_alias", True)
        self.by_name = schema.get("validate_by_name", cfg.get("validate_by_name", cfg.get("populate_by_name", False)))

    def v(self, x, st):
        if isinstance(x, ArgsKwargs):
            args, kwargs = x.args, dict(x.kwargs or {})
        elif isinstance(x, (tuple, list)) and len(x) == 2 and isinstance(x[0], (tuple, list)) and isinstance(x[1], dict):
            args, kwargs = tuple(x[0]), dict(x[1])
        elif isinstance(x, dict):
            args, kwargs = (), dict(x)
        elif isinstance(x, (tuple, list)):
            args, kwargs = tuple(x), {}
        else:
            fail("arguments_type", x)
        out_args, out_kwargs, errors = [], {}, []
        used = set()
        positional = [p for p in self.params if p.kw_only != "keyword_only"]
        for i, p in enumerate(self.params):
            mode = p.kw_only
            keys = [p.name] if p.paths is None else [path[0] for path in p.paths] + ([p.name] if self.by_name else [])
            kw_value, kw_key = MISSING, None
            if mode != "positional_only":
                for k in keys:
                    if k in kwargs:
                        kw_value, kw_key = kwargs[k], k
                        break
            pos = positional.index(p) if p in positional else -1
            if 0 <= pos < len(args):
                if kw_key is not None:
                    errors.append(Line("multiple_argument_values", kw_value, None, (kw_key,)))
                    used.add(kw_key)
                    continue
                value, loc = args[pos], (pos,)
            elif kw_key is not None:
                value, loc = kw_value, (kw_key,)
                used.add(kw_key)
            else:
                if p.v.has_default:
                    value = p.v.default_value(st)
                    if mode == "positional_only":
                        out_args.append(value)
                    else:
                        out_kwargs[p.name] = value
                    continue
                kind = {"positional_only": "missing_positional_only_argument",
                        "keyword_only": "missing_keyword_only_argument"}.get(mode, "missing_argument")
                errors.append(Line(kind, x, None, (keys[0] if mode != "positional_only" else i,)))
                continue
            try:
                value = p.v.v(value, st)
            except ValError as e:
                for line in e.lines:
                    line.loc = loc + line.loc
                errors.extend(e.lines)
                continue
            except _omit():
                continue
            if loc and isinstance(loc[0], int):
                out_args.append(value)
            else:
                out_kwargs[p.name] = value
        for i in range(len(positional), len(args)):
            if self.var_args is not None:
                try:
                    out_args.append(self.var_args.v(args[i], st))
                except ValError as e:
                    errors.extend(e.at(i).lines)
            else:
                errors.append(Line("unexpected_positional_argument", args[i], None, (i,)))
        for k, val in kwargs.items():
            if k in used:
                continue
            if self.var_kwargs is not None:
                try:
                    out_kwargs[k] = self.var_kwargs.v(val, st)
                except ValError as e:
                    errors.extend(e.at(k).lines)
            else:
                errors.append(Line("unexpected_keyword_argument", val, None, (k,)))
        if errors:
            raise ValError(errors)
        return tuple(out_args), out_kwargs


class CallV:
    has_default = False
    strict = False

    def __init__(self, schema, cfg, b):
        self.args = b.build(schema["arguments_schema"])
        self.fn = schema["function"]
        self.ret = b.build(schema["return_schema"]) if schema.get("return_schema") else None
        self.name = f"call[{getattr(self.fn, '__name__', 'function')}]"

    def v(self, x, st):
        args, kwargs = self.args.v(x, st)
        result = self.fn(*args, **kwargs)
        if self.ret is not None:
            result = self.ret.v(result, st)
        return result
