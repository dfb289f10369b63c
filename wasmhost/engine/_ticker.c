/* The epoch ticker's native thread: one long-lived pthread that calls Wasmtime's
 * ``wasmtime_engine_increment_epoch`` every tick while an invocation may be inside
 * its deadline, and sleeps on a condition variable otherwise.
 *
 * Why C: a Python thread has to take the GIL for every tick (from an event loop
 * that gives it up at every guest call: ~25 µs of CPU per request under load); a
 * POSIX timer with SIGEV_THREAD calls C without the GIL but glibc starts a new
 * thread for every expiry (~50-75 µs of CPU a tick, ~7 µs per request at 10k/s).
 * One thread sleeping with clock_nanosleep costs a wake-up a tick and nothing else.
 * It also counts its ticks where Python can read them (``epoch``), so the hot path
 * sets a store's deadline again only after a tick (abi/core.py), and keeps the time
 * that count stands for: after a late wake-up (a starved CPU) it adds every period
 * that went by, and a run adds the periods due to its deadline (_clock.h).
 *
 * Built by setup.py as an optional extension: without a C compiler the ticker falls
 * back to the POSIX timer (engine/posix_timer.py), then to a Python thread.
 *
 * The increment function and the engine are passed as addresses (no link against
 * libwasmtime: wasmtime-py loads its own copy); the caller keeps the engine alive
 * until ``close`` returns, which joins the thread. The thread blocks every signal,
 * so Python's handlers and Wasmtime's trap handlers never run on it.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

#include "_clock.h"

typedef void (*increment_fn)(void *);

typedef struct {
    PyObject_HEAD
    increment_fn increment;
    void *engine;
    PyObject *keep;           /* what keeps the engine alive (released after the join) */
    Clock clock;              /* the tick count and the time it stands for (_clock.h) */
    _Atomic int64_t until_ns; /* CLOCK_MONOTONIC: tick until then */
    _Atomic int stopping;
    int running;              /* the thread exists (not yet joined) */
    int waiting;              /* under lock: the thread sleeps on ``wake`` */
    pthread_mutex_t lock;
    pthread_cond_t wake;
    pthread_t thread;
} Ticker;

static void sleep_until(int64_t when) {
    struct timespec ts = {(time_t)(when / 1000000000), (long)(when % 1000000000)};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR) {
    }
}

static void *run(void *arg) {
    Ticker *t = (Ticker *)arg;
    int64_t period = t->clock.period_ns;
    pthread_mutex_lock(&t->lock);
    while (!atomic_load(&t->stopping)) {
        int64_t now = clock_now_ns();
        if (now >= atomic_load(&t->until_ns)) {
            atomic_store(&t->clock.last_ns, CLOCK_IDLE); /* asleep: no time is owed */
            t->waiting = 1;
            pthread_cond_wait(&t->wake, &t->lock);
            t->waiting = 0;
            continue;
        }
        pthread_mutex_unlock(&t->lock);
        int64_t last = now; /* ticking from now on */
        atomic_store(&t->clock.last_ns, last);
        for (;;) {
            sleep_until(last + period);
            if (atomic_load(&t->stopping))
                break;
            now = clock_now_ns();
            /* every period that went by, however late the wake-up: a timeout stays wall-clock
             * time on a starved CPU; runs that started meanwhile added them to their deadlines */
            int64_t n = (now - last) / period;
            if (n > 0) {
                atomic_fetch_add(&t->clock.epoch, (uint64_t)n); /* counted first: a reader may be early, never late */
                for (int64_t i = 0; i < n; i++)
                    t->increment(t->engine);
                last += n * period;
                atomic_store_explicit(&t->clock.last_ns, last, memory_order_release);
            }
            if (now >= atomic_load(&t->until_ns))
                break;
        }
        pthread_mutex_lock(&t->lock);
    }
    atomic_store(&t->clock.last_ns, CLOCK_IDLE);
    pthread_mutex_unlock(&t->lock);
    return NULL;
}

static void stop(Ticker *t) {
    if (!t->running)
        return;
    pthread_mutex_lock(&t->lock);
    atomic_store(&t->stopping, 1);
    pthread_cond_signal(&t->wake);
    pthread_mutex_unlock(&t->lock);
    pthread_join(t->thread, NULL); /* at most one tick's sleep */
    t->running = 0;
}

/* Start the thread (the lock and condition made afresh: after a fork, the parent's
 * may have been held by a thread the child does not have). */
static int start(Ticker *self) {
    atomic_store(&self->stopping, 0);
    self->waiting = 0;
    pthread_mutex_init(&self->lock, NULL);
    pthread_cond_init(&self->wake, NULL);

    pthread_attr_t attr;
    sigset_t all, old;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 256 * 1024);
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old); /* the new thread inherits the full mask */
    int err = pthread_create(&self->thread, &attr, run, self);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    pthread_attr_destroy(&attr);
    if (err != 0) {
        errno = err;
        PyErr_SetFromErrno(PyExc_OSError);
        return -1;
    }
    pthread_setname_np(self->thread, "wasmhost-epoch"); /* as ps and /proc/PID/task/TID/comm show it */
    self->running = 1;
    return 0;
}

static int Ticker_init(Ticker *self, PyObject *args, PyObject *kwds) {
    static char *kwlist[] = {"increment", "engine", "period_ns", "keep", NULL};
    unsigned long long increment, engine;
    long long period;
    PyObject *keep = Py_None;
    if (self->running) {
        PyErr_SetString(PyExc_RuntimeError, "ticker already started");
        return -1;
    }
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "KKL|O", kwlist, &increment, &engine, &period, &keep))
        return -1;
    if (!increment || !engine || period <= 0) {
        PyErr_SetString(PyExc_ValueError, "need an increment function, an engine and a positive period");
        return -1;
    }
    self->increment = (increment_fn)(uintptr_t)increment;
    self->engine = (void *)(uintptr_t)engine;
    self->clock.period_ns = period;
    atomic_store(&self->until_ns, 0);
    atomic_store(&self->clock.epoch, 0);
    atomic_store(&self->clock.last_ns, CLOCK_IDLE);
    Py_INCREF(keep);
    Py_XSETREF(self->keep, keep);
    return start(self);
}

static PyObject *Ticker_extend(Ticker *self, PyObject *arg) {
    long long until = PyLong_AsLongLong(arg);
    if (until == -1 && PyErr_Occurred())
        return NULL;
    pthread_mutex_lock(&self->lock);
    if (until > atomic_load(&self->until_ns)) {
        atomic_store(&self->until_ns, until);
        if (self->waiting)
            pthread_cond_signal(&self->wake);
    }
    pthread_mutex_unlock(&self->lock);
    Py_RETURN_NONE;
}

static PyObject *Ticker_close(Ticker *self, PyObject *Py_UNUSED(ignored)) {
    Py_BEGIN_ALLOW_THREADS
    stop(self);
    Py_END_ALLOW_THREADS
    Py_RETURN_NONE;
}

static PyObject *Ticker_after_fork(Ticker *self, PyObject *Py_UNUSED(ignored)) {
    /* In a forked child: the thread is gone (only the forking thread survives). */
    if (self->running) {
        self->running = 0;
        if (start(self) < 0)
            return NULL;
    }
    Py_RETURN_NONE;
}

static void Ticker_dealloc(Ticker *self) {
    stop(self);
    Py_XDECREF(self->keep);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *Ticker_get_epoch(Ticker *self, void *Py_UNUSED(closure)) {
    return PyLong_FromUnsignedLongLong(atomic_load_explicit(&self->clock.epoch, memory_order_relaxed));
}

static PyObject *Ticker_due(Ticker *self, PyObject *Py_UNUSED(ignored)) {
    return PyLong_FromUnsignedLongLong(clock_due(&self->clock));
}

static PyObject *Ticker_get_epoch_address(Ticker *self, void *Py_UNUSED(closure)) {
    return PyLong_FromVoidPtr((void *)&self->clock); /* read by _warmcall.c's hot path, with no Python */
}

static PyObject *Ticker_get_running(Ticker *self, void *Py_UNUSED(closure)) {
    return PyBool_FromLong(self->running);
}

static PyMethodDef Ticker_methods[] = {
    {"extend", (PyCFunction)Ticker_extend, METH_O,
     "extend(until_ns): tick until CLOCK_MONOTONIC reaches until_ns (never shortens)."},
    {"close", (PyCFunction)Ticker_close, METH_NOARGS, "Stop ticking and join the thread."},
    {"due", (PyCFunction)Ticker_due, METH_NOARGS,
     "Periods gone by that the thread has yet to add (it woke up late): add them to a deadline set now."},
    {"after_fork", (PyCFunction)Ticker_after_fork, METH_NOARGS,
     "In a forked child: start the thread again (call from os.register_at_fork's after_in_child)."},
    {NULL},
};

static PyGetSetDef Ticker_getset[] = {
    {"epoch", (getter)Ticker_get_epoch, NULL, "Ticks so far (each counted before its increment).", NULL},
    {"epoch_address", (getter)Ticker_get_epoch_address, NULL,
     "The address of the clock (_clock.h: the tick count first), valid while this object lives.", NULL},
    {"running", (getter)Ticker_get_running, NULL, "Whether the thread exists (False after close).", NULL},
    {NULL},
};

static PyTypeObject TickerType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "wasmhost.engine._ticker.Ticker",
    .tp_basicsize = sizeof(Ticker),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Ticker(increment, engine, period_ns): calls increment(engine) every period_ns from a native thread.",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Ticker_init,
    .tp_dealloc = (destructor)Ticker_dealloc,
    .tp_methods = Ticker_methods,
    .tp_getset = Ticker_getset,
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "_ticker",
    .m_doc = "The epoch ticker's native thread (see _ticker.c).",
    .m_size = -1,
};

PyMODINIT_FUNC PyInit__ticker(void) {
    if (PyType_Ready(&TickerType) < 0)
        return NULL;
    PyObject *m = PyModule_Create(&module);
    if (m == NULL)
        return NULL;
    Py_INCREF(&TickerType);
    if (PyModule_AddObject(m, "Ticker", (PyObject *)&TickerType) < 0) {
        Py_DECREF(&TickerType);
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
