/* One warm invocation of a core guest (the wasmhost core ABI: guest_sdk/ABI.md) in a
 * single call from Python: set the fuel and the epoch deadline, call
 * ``wasmhost_alloc(len)``, copy the event into linear memory, call
 * ``wasmhost_handle(ptr, len)``, copy the result out and read the fuel counter.
 *
 * Why C: the same sequence through ctypes is seven foreign calls, each converting
 * its arguments and going through libffi, and two GIL releases (abi/core.py's
 * ``make_invoke``, kept as the fallback where this extension was not built). Here
 * the GIL is released once, around both guest calls and the copy between them, so
 * other threads (other invocations, a host import's callback, the ledger) still run
 * while a guest spins.
 *
 * Nothing is linked against libwasmtime: wasmtime-py loads its own copy, and the
 * caller passes the C API's entry points as addresses (as _ticker.c is given the
 * epoch increment). The store context, the exports and the trap slot are read
 * through addresses of buffers the sandbox owns (abi/sandbox.py); strict isolation
 * puts a fresh store into the same buffers, so a WarmCall stays valid across
 * ``renew``. The caller keeps the sandbox (and so the store) alive while it calls;
 * ``keep`` holds whatever else must outlive this object (the ticker whose epoch
 * counter it reads).
 *
 * A trap, an error or a bad pointer from the guest is handed to ``fail(code, a, b)``,
 * a Python callable that raises the typed error (the rare path stays in Python):
 * code 1/2 a call of wasmhost_alloc/wasmhost_handle failed (a = the error pointer,
 * the trap is left in the trap slot); 3 wasmhost_alloc gave an unusable buffer
 * (a = ptr, b = len); 4 the result lies outside linear memory (a = ptr, b = len).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

#include "_clock.h"

typedef void *(*func_call_fn)(void *ctx, const void *func, void *args, size_t nargs, void **trap);
typedef void *(*set_fuel_fn)(void *ctx, uint64_t fuel);
typedef void *(*get_fuel_fn)(const void *ctx, uint64_t *fuel);
typedef void (*set_deadline_fn)(void *ctx, uint64_t ticks);
typedef uint8_t *(*memory_data_fn)(const void *ctx, const void *memory);
typedef size_t (*memory_size_fn)(const void *ctx, const void *memory);

typedef union { /* wasmtime_val_raw_t: 16 bytes a value */
    int32_t i32;
    int64_t i64;
    uint8_t v128[16];
} ValRaw;

typedef struct {
    PyObject_HEAD
    func_call_fn func_call;
    set_fuel_fn set_fuel;
    get_fuel_fn get_fuel;
    set_deadline_fn set_deadline;
    memory_data_fn memory_data;
    memory_size_fn memory_size;
    void **ctx;            /* the sandbox's context slot (a fresh store after renew) */
    const void *f_alloc;   /* wasmtime_func_t of wasmhost_alloc, in the sandbox's export array */
    const void *f_handle;
    const void *memory;    /* wasmtime_memory_t */
    void **trap;           /* the sandbox's trap slot: Python adopts what a failed call leaves */
    uint64_t fuel;
    uint64_t ticks;
    Clock *clock;            /* the native ticker's clock (_clock.h); NULL: not counted */
    int64_t deadline_epoch;  /* the epoch when the deadline was last set in full; -1: set it next run */
    PyObject *fail;
    PyObject *keep;
} WarmCall;

static void *addr_of(PyObject *tuple, Py_ssize_t i) {
    return (void *)(uintptr_t)PyLong_AsUnsignedLongLong(PyTuple_GET_ITEM(tuple, i));
}

static int WarmCall_init(WarmCall *self, PyObject *args, PyObject *kwds) {
    static char *kwlist[] = {"api", "ctx", "alloc", "handle", "memory", "trap", "fuel", "ticks", "epoch", "fail",
                             "keep", NULL};
    PyObject *api, *fail, *keep = Py_None;
    unsigned long long ctx, f_alloc, f_handle, memory, trap, fuel, ticks, epoch;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O!KKKKKKKKO|O", kwlist, &PyTuple_Type, &api, &ctx, &f_alloc,
                                     &f_handle, &memory, &trap, &fuel, &ticks, &epoch, &fail, &keep))
        return -1;
    if (PyTuple_GET_SIZE(api) != 6) {
        PyErr_SetString(PyExc_ValueError, "api: (func_call, set_fuel, get_fuel, set_epoch_deadline, memory_data, "
                                          "memory_data_size) addresses");
        return -1;
    }
    self->func_call = (func_call_fn)addr_of(api, 0);
    self->set_fuel = (set_fuel_fn)addr_of(api, 1);
    self->get_fuel = (get_fuel_fn)addr_of(api, 2);
    self->set_deadline = (set_deadline_fn)addr_of(api, 3);
    self->memory_data = (memory_data_fn)addr_of(api, 4);
    self->memory_size = (memory_size_fn)addr_of(api, 5);
    if (PyErr_Occurred())
        return -1;
    if (!self->func_call || !self->set_fuel || !self->get_fuel || !self->set_deadline || !self->memory_data ||
        !self->memory_size || !ctx || !f_alloc || !f_handle || !memory || !trap) {
        PyErr_SetString(PyExc_ValueError, "a null address");
        return -1;
    }
    if (!PyCallable_Check(fail)) {
        PyErr_SetString(PyExc_TypeError, "fail must be callable");
        return -1;
    }
    self->ctx = (void **)(uintptr_t)ctx;
    self->f_alloc = (const void *)(uintptr_t)f_alloc;
    self->f_handle = (const void *)(uintptr_t)f_handle;
    self->memory = (const void *)(uintptr_t)memory;
    self->trap = (void **)(uintptr_t)trap;
    self->fuel = fuel;
    self->ticks = ticks;
    self->clock = (Clock *)(uintptr_t)epoch;
    self->deadline_epoch = -1;
    Py_INCREF(fail);
    Py_XSETREF(self->fail, fail);
    Py_INCREF(keep);
    Py_XSETREF(self->keep, keep);
    return 0;
}

static PyObject *failed(WarmCall *self, int code, unsigned long long a, unsigned long long b) {
    PyObject *out = PyObject_CallFunction(self->fail, "iKK", code, a, b);
    if (out != NULL) { /* fail must raise: a return would be taken for a result */
        Py_DECREF(out);
        PyErr_SetString(PyExc_RuntimeError, "WarmCall's fail returned instead of raising");
    }
    return NULL;
}

/* call(payload, budget=None) -> (result bytes, fuel used, memory bytes). ``budget``: a
 * shorter deadline in ticks (a speculative run, see Host.ainvoke). */
static PyObject *WarmCall_call(WarmCall *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs < 1 || nargs > 2) {
        PyErr_SetString(PyExc_TypeError, "call(payload, budget=None)");
        return NULL;
    }
    Py_buffer in;
    if (PyObject_GetBuffer(args[0], &in, PyBUF_SIMPLE) < 0)
        return NULL;
    void *ctx = *self->ctx;
    self->set_fuel(ctx, self->fuel);
    if (nargs == 2 && args[1] != Py_None) {
        unsigned long long budget = PyLong_AsUnsignedLongLong(args[1]);
        if (budget == (unsigned long long)-1 && PyErr_Occurred()) {
            PyBuffer_Release(&in);
            return NULL;
        }
        /* the periods a late ticker has yet to add are not the run's to lose (_clock.h) */
        self->set_deadline(ctx, budget + (self->clock ? clock_due(self->clock) : 0));
        self->deadline_epoch = -1; /* the next normal run sets the full deadline again */
    } else {
        /* with no tick since the deadline was last set, it still gives the full timeout (ticker.py);
         * an uncounted ticker (a POSIX timer's): every run sets it */
        if (self->clock == NULL) {
            self->set_deadline(ctx, self->ticks);
        } else {
            uint64_t due = clock_due(self->clock);
            int64_t now = (int64_t)(atomic_load_explicit(&self->clock->epoch, memory_order_relaxed) + due);
            if (now != self->deadline_epoch) {
                self->deadline_epoch = now;
                self->set_deadline(ctx, self->ticks + due);
            }
        }
    }
    ValRaw vals[2];
    size_t n = (size_t)in.len, size = 0;
    uint32_t p = 0, op = 0, olen = 0;
    uint8_t *base = NULL;
    void *err = NULL;
    int code = 0;
    Py_BEGIN_ALLOW_THREADS
    memset(vals, 0, sizeof vals);
    vals[0].i32 = (int32_t)n;
    err = self->func_call(ctx, self->f_alloc, vals, 2, self->trap);
    if (err || *self->trap) {
        code = 1;
    } else {
        p = (uint32_t)vals[0].i32;
        size = self->memory_size(ctx, self->memory);
        if ((uint64_t)p + n > size || (!p && n)) {
            code = 3;
        } else {
            base = self->memory_data(ctx, self->memory);
            if (n)
                memcpy(base + p, in.buf, n);
            memset(vals, 0, sizeof vals);
            vals[0].i32 = (int32_t)p;
            vals[1].i32 = (int32_t)n;
            err = self->func_call(ctx, self->f_handle, vals, 2, self->trap);
            if (err || *self->trap) {
                code = 2;
            } else {
                uint64_t r = (uint64_t)vals[0].i64;
                op = (uint32_t)(r >> 32);
                olen = (uint32_t)(r & 0xFFFFFFFFu);
                size = self->memory_size(ctx, self->memory);
                base = self->memory_data(ctx, self->memory);
                if ((uint64_t)op + olen > size)
                    code = 4;
            }
        }
    }
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&in);
    switch (code) {
    case 1:
    case 2:
        return failed(self, code, (unsigned long long)(uintptr_t)err, 0);
    case 3:
        return failed(self, code, p, n);
    case 4:
        return failed(self, code, op, olen);
    }
    uint64_t left = 0;
    self->get_fuel(ctx, &left);
    PyObject *out = PyBytes_FromStringAndSize((const char *)base + op, olen);
    if (out == NULL)
        return NULL;
    PyObject *used = PyLong_FromUnsignedLongLong(self->fuel - left);
    PyObject *mem = PyLong_FromSize_t(size);
    if (used == NULL || mem == NULL) {
        Py_DECREF(out);
        Py_XDECREF(used);
        Py_XDECREF(mem);
        return NULL;
    }
    PyObject *res = PyTuple_New(3);
    if (res == NULL) {
        Py_DECREF(out);
        Py_DECREF(used);
        Py_DECREF(mem);
        return NULL;
    }
    PyTuple_SET_ITEM(res, 0, out);
    PyTuple_SET_ITEM(res, 1, used);
    PyTuple_SET_ITEM(res, 2, mem);
    return res;
}

static int WarmCall_traverse(WarmCall *self, visitproc visit, void *arg) {
    Py_VISIT(self->fail);
    Py_VISIT(self->keep);
    return 0;
}

static int WarmCall_clear(WarmCall *self) {
    Py_CLEAR(self->fail);
    Py_CLEAR(self->keep);
    return 0;
}

static void WarmCall_dealloc(WarmCall *self) {
    PyObject_GC_UnTrack(self);
    WarmCall_clear(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyMethodDef WarmCall_methods[] = {
    {"call", (PyCFunction)(void (*)(void))WarmCall_call, METH_FASTCALL,
     "call(payload, budget=None) -> (result, fuel used, memory bytes); a failure raises through fail()."},
    {NULL},
};

static PyTypeObject WarmCallType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "wasmhost.engine._warmcall.WarmCall",
    .tp_basicsize = sizeof(WarmCall),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_doc = "WarmCall(api, ctx, alloc, handle, memory, trap, fuel, ticks, epoch, fail, keep=None): "
              "a core guest's warm invocation in one call (see _warmcall.c).",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)WarmCall_init,
    .tp_dealloc = (destructor)WarmCall_dealloc,
    .tp_traverse = (traverseproc)WarmCall_traverse,
    .tp_clear = (inquiry)WarmCall_clear,
    .tp_methods = WarmCall_methods,
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "_warmcall",
    .m_doc = "A core guest's warm invocation in one C call (see _warmcall.c).",
    .m_size = -1,
};

PyMODINIT_FUNC PyInit__warmcall(void) {
    if (PyType_Ready(&WarmCallType) < 0)
        return NULL;
    PyObject *m = PyModule_Create(&module);
    if (m == NULL)
        return NULL;
    Py_INCREF(&WarmCallType);
    if (PyModule_AddObject(m, "WarmCall", (PyObject *)&WarmCallType) < 0) {
        Py_DECREF(&WarmCallType);
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
