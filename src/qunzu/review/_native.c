/* The review engine's per-text normalisation pass in one loop of C (textview.Normalizer.view).
 *
 * The pure-Python path does the same work in several C passes of the standard library (a regex split at
 * removed runs, a join, str.lower, then a translate of what still needs folding); this module reads the
 * text once and writes the compact text, its folded form and the offset map together. It is optional:
 * without it (no compiler at install time, another Python implementation) the Python path runs, and the
 * tests check that both give the same views (tests/review/test_review_native.py).
 *
 * fold_view(text, classes, fold) -> (compact, folded, cuts, shifts, flags, words, visible) | None
 *   text     a str without astral characters (None is returned for a str stored 4 bytes a character:
 *            the caller takes the Python path)
 *   classes  65,536 bytes, one per BMP code point: 0 kept, 1 a soft separator (always removed), 2 a
 *            clause mark (removed only when the text uses clause marks the way evaders do, see below), 3 an
 *            invisible soft separator (a zero-width or format character: always removed, and a removed run
 *            made only of them is no visible gap)
 *   fold     65,536 native-endian uint32: the folded form of each code point (one character, astral ones
 *            included), or 0 when it folds to more than one character (then `folded` is None and the
 *            caller folds)
 *   compact  the text without its removed characters (the text itself when nothing is removed)
 *   folded   compact folded character by character (compact itself when nothing changes), or None
 *   cuts     compact offsets where removed runs sit, then len(compact); None when nothing is removed
 *   shifts   0, then after each removed run the number of characters removed so far; None likewise
 *   flags    FLAG_LATIN: folded holds an ASCII letter a-z; FLAG_STAND_IN: a symbol that can stand for a
 *            letter ('@' '$' '!' '|', digits.py) was removed
 *   words    the runs of ASCII letters and digits of folded, as bytes, in order (what digits.LatinWords
 *            looks at); meaningful only when folded is not None
 *   visible  the cuts of the removed runs that hold a visible character; None when nothing is removed
 *
 * Clause marks: a text uses them the way evaders do when one of them opens a clause of one or two
 * characters closed by another ("六，合，彩"), or the text starts with such a clause; then every clause
 * mark is removed too, and removed runs merge across them. Otherwise clause marks are kept.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#define NATIVE_VERSION 8
#define CLASS_SOFT 1
#define CLASS_HARD 2
#define CLASS_INVISIBLE 3
#define FLAG_LATIN 1
#define FLAG_STAND_IN 2

typedef struct {
    Py_ssize_t kept;     /* characters written to compact */
    Py_ssize_t removed;  /* characters removed so far */
    int in_run;
    int run_visible;     /* the current removed run holds a visible character */
    int expanded;        /* a kept character folds to more than one character */
    int changed;         /* folded differs from compact */
    int flags;
    PyObject *cuts;
    PyObject *shifts;
    PyObject *words;
    PyObject *visible;
} State;

static int
close_run(State *st)
{
    PyObject *cut = PyLong_FromSsize_t(st->kept);
    if (cut == NULL) {
        return -1;
    }
    int rc = PyList_Append(st->cuts, cut);
    if (rc == 0 && st->run_visible) {
        rc = PyList_Append(st->visible, cut);
    }
    Py_DECREF(cut);
    if (rc < 0) {
        return -1;
    }
    PyObject *shift = PyLong_FromSsize_t(st->removed);
    if (shift == NULL) {
        return -1;
    }
    rc = PyList_Append(st->shifts, shift);
    Py_DECREF(shift);
    st->in_run = 0;
    st->run_visible = 0;
    return rc;
}

static int
add_word(State *st, const Py_UCS4 *folded, Py_ssize_t start, Py_ssize_t end)
{
    PyObject *word = PyBytes_FromStringAndSize(NULL, end - start);
    if (word == NULL) {
        return -1;
    }
    char *out = PyBytes_AS_STRING(word);
    for (Py_ssize_t i = start; i < end; i++) {
        out[i - start] = (char)folded[i];
    }
    int rc = PyList_Append(st->words, word);
    Py_DECREF(word);
    return rc;
}

#define IS_ALNUM(f) (((f) >= 'a' && (f) <= 'z') || ((f) >= '0' && (f) <= '9'))

/* One pass in one mode. Returns 1 when soft mode meets an evasive use of clause marks (start again with
 * every clause mark removed), 0 when done, -1 on error. */
#define DEFINE_PASS(NAME, CHAR_T)                                                                          \
    static int NAME(const CHAR_T *src, Py_ssize_t n, const unsigned char *classes, const uint32_t *fold,    \
                    int all, CHAR_T *compact, Py_UCS4 *folded, State *st)                                  \
    {                                                                                                     \
        Py_ssize_t last_hard = -1; /* a clause mark before the text: "xx，" at the start counts too */     \
        Py_ssize_t word = -1;      /* where the current run of ASCII letters and digits began in folded */ \
        for (Py_ssize_t i = 0; i < n; i++) {                                                              \
            Py_UCS4 c = src[i];                                                                           \
            unsigned char cls = classes[c];                                                               \
            if (cls == CLASS_HARD && !all) {                                                              \
                Py_ssize_t gap = i - last_hard;                                                           \
                if (gap == 2 || gap == 3) {                                                               \
                    return 1;                                                                             \
                }                                                                                         \
                last_hard = i;                                                                            \
                cls = 0; /* kept */                                                                       \
            }                                                                                             \
            if (cls) {                                                                                    \
                st->in_run = 1;                                                                           \
                if (cls != CLASS_INVISIBLE) {                                                             \
                    st->run_visible = 1;                                                                  \
                }                                                                                         \
                st->removed++;                                                                            \
                if (c == '@' || c == '$' || c == '!' || c == '|') {                                       \
                    st->flags |= FLAG_STAND_IN;                                                          \
                }                                                                                         \
                continue;                                                                                 \
            }                                                                                             \
            if (st->in_run && close_run(st) < 0) {                                                        \
                return -1;                                                                                \
            }                                                                                             \
            Py_UCS4 f = fold[c];                                                                          \
            if (f == 0) {                                                                                 \
                st->expanded = 1;                                                                         \
                f = c;                                                                                    \
            }                                                                                             \
            else if (f != c) {                                                                            \
                st->changed = 1;                                                                          \
            }                                                                                             \
            if (IS_ALNUM(f)) {                                                                            \
                if (f >= 'a') {                                                                           \
                    st->flags |= FLAG_LATIN;                                                              \
                }                                                                                         \
                if (word < 0) {                                                                           \
                    word = st->kept;                                                                      \
                }                                                                                         \
            }                                                                                             \
            else if (word >= 0) {                                                                         \
                if (add_word(st, folded, word, st->kept) < 0) {                                           \
                    return -1;                                                                            \
                }                                                                                         \
                word = -1;                                                                                \
            }                                                                                             \
            compact[st->kept] = (CHAR_T)c;                                                                \
            folded[st->kept] = f;                                                                         \
            st->kept++;                                                                                   \
        }                                                                                                 \
        if (word >= 0 && add_word(st, folded, word, st->kept) < 0) {                                      \
            return -1;                                                                                    \
        }                                                                                                 \
        return 0;                                                                                         \
    }

DEFINE_PASS(pass_ucs1, Py_UCS1)
DEFINE_PASS(pass_ucs2, Py_UCS2)

static PyObject *
fold_view(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 3) {
        PyErr_SetString(PyExc_TypeError, "fold_view(text, classes, fold) takes 3 arguments");
        return NULL;
    }
    PyObject *text = args[0], *classes_obj = args[1], *fold_obj = args[2];
    if (!PyUnicode_Check(text) || !PyBytes_Check(classes_obj) || !PyBytes_Check(fold_obj)) {
        PyErr_SetString(PyExc_TypeError, "fold_view(str, bytes, bytes)");
        return NULL;
    }
    if (PyBytes_GET_SIZE(classes_obj) != 0x10000 || PyBytes_GET_SIZE(fold_obj) != 0x40000) {
        PyErr_SetString(PyExc_ValueError, "fold_view: tables of 65,536 classes and 65,536 uint32 folds");
        return NULL;
    }
    if (PyUnicode_READY(text) < 0) {
        return NULL;
    }
    int kind = PyUnicode_KIND(text);
    if (kind == PyUnicode_4BYTE_KIND) {
        Py_RETURN_NONE;
    }
    const unsigned char *classes = (const unsigned char *)PyBytes_AS_STRING(classes_obj);
    const uint32_t *fold = (const uint32_t *)PyBytes_AS_STRING(fold_obj);
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    const void *data = PyUnicode_DATA(text);
    void *compact = PyMem_Malloc(n ? (size_t)n * kind : 1);
    Py_UCS4 *folded = PyMem_Malloc(n ? (size_t)n * sizeof(Py_UCS4) : 1);
    State st = {0};
    PyObject *result = NULL, *compact_str = NULL, *folded_str = NULL;
    if (compact == NULL || folded == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    for (int all = 0; all <= 1; all++) {
        Py_CLEAR(st.cuts);
        Py_CLEAR(st.shifts);
        Py_CLEAR(st.words);
        Py_CLEAR(st.visible);
        memset(&st, 0, sizeof st);
        st.cuts = PyList_New(0);
        st.shifts = PyList_New(0);
        st.words = PyList_New(0);
        st.visible = PyList_New(0);
        if (st.cuts == NULL || st.shifts == NULL || st.words == NULL || st.visible == NULL) {
            goto done;
        }
        PyObject *zero = PyLong_FromLong(0);
        if (zero == NULL) {
            goto done;
        }
        int rc = PyList_Append(st.shifts, zero);
        Py_DECREF(zero);
        if (rc < 0) {
            goto done;
        }
        if (kind == PyUnicode_1BYTE_KIND) {
            rc = pass_ucs1((const Py_UCS1 *)data, n, classes, fold, all, (Py_UCS1 *)compact, folded, &st);
        }
        else {
            rc = pass_ucs2((const Py_UCS2 *)data, n, classes, fold, all, (Py_UCS2 *)compact, folded, &st);
        }
        if (rc < 0) {
            goto done;
        }
        if (rc == 0) {
            break;
        }
    }
    if (st.in_run && close_run(&st) < 0) {
        goto done;
    }
    PyObject *cuts = Py_None, *shifts = Py_None, *visible = Py_None;
    if (st.removed) {
        PyObject *end = PyLong_FromSsize_t(st.kept);
        if (end == NULL) {
            goto done;
        }
        int rc = PyList_Append(st.cuts, end);
        Py_DECREF(end);
        if (rc < 0) {
            goto done;
        }
        compact_str = PyUnicode_FromKindAndData(kind, compact, st.kept);
        cuts = st.cuts;
        shifts = st.shifts;
        visible = st.visible;
    }
    else {
        compact_str = Py_NewRef(text);
    }
    if (compact_str == NULL) {
        goto done;
    }
    if (st.expanded) {
        folded_str = Py_NewRef(Py_None);
    }
    else if (!st.changed) {
        folded_str = Py_NewRef(compact_str);
    }
    else {
        folded_str = PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, folded, st.kept);
        if (folded_str == NULL) {
            goto done;
        }
    }
    result = Py_BuildValue("(OOOOiOO)", compact_str, folded_str, cuts, shifts, st.flags, st.words, visible);
done:
    Py_XDECREF(compact_str);
    Py_XDECREF(folded_str);
    Py_XDECREF(st.cuts);
    Py_XDECREF(st.shifts);
    Py_XDECREF(st.words);
    Py_XDECREF(st.visible);
    PyMem_Free(compact);
    PyMem_Free(folded);
    return result;
}

/* collect(raw, quick, after, folded, cuts, shifts, pair_chars, contexts, visible, r2, words, max_word)
 *     -> (accepted, rest, pairs)
 *
 * The common case of the engine's decision (engine.ReviewEngine._decide), one loop over the matcher's
 * matches (s, e, pid):
 *   quick[pid] >= 0   the pattern is the text of that entry and needs no rule but R2 when unbroken: unless
 *                     the match spans a removed run (a cut), it is accepted at once, or after rule R2 when
 *                     after[pid] (a str, or None) holds the folded character after the match (r2[pid]: the
 *                     term's splits for r2_split; the chunk around the match from `visible`, the cuts of
 *                     visible removed runs): accepted[(os, oe, entry)] = (0, s, e) with (os, oe) its span in
 *                     the original text (shifted past removed runs)
 *   quick[pid] == -2  the pattern has no targets (a fold trigger or a component pair): nothing to decide
 *   otherwise         (-1: targets that need rules; None: not looked at yet) the match goes to `rest`,
 *                     for the engine's Python path
 * Every match whose pattern is a component pair (pair_chars[pid], the character it composes, or None) is
 * also a pair trigger; those that split.plausible keeps (with `contexts`, split.contexts of the lexicon) go
 * to `pairs` as (s, character), in text order.
 * cuts and shifts are the view's offset map, or None for a text that maps one to one. */
static Py_ssize_t
bisect_right(const Py_ssize_t *a, Py_ssize_t n, Py_ssize_t x)
{
    Py_ssize_t lo = 0, hi = n;
    while (lo < hi) {
        Py_ssize_t mid = (lo + hi) / 2;
        if (x < a[mid]) {
            hi = mid;
        }
        else {
            lo = mid + 1;
        }
    }
    return lo;
}

static Py_ssize_t *
int_array(PyObject *list, Py_ssize_t *size)
{
    if (!PyList_Check(list)) {
        PyErr_SetString(PyExc_TypeError, "collect: cuts and shifts are lists of int");
        return NULL;
    }
    Py_ssize_t n = PyList_GET_SIZE(list);
    Py_ssize_t *out = PyMem_Malloc((n ? n : 1) * sizeof(Py_ssize_t));
    if (out == NULL) {
        PyErr_NoMemory();
        return NULL;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        out[i] = PyLong_AsSsize_t(PyList_GET_ITEM(list, i));
        if (out[i] == -1 && PyErr_Occurred()) {
            PyMem_Free(out);
            return NULL;
        }
    }
    *size = n;
    return out;
}

/* 1 when `chars` (a str) holds the character, 0 when not, -1 on error */
static int
holds(PyObject *chars, Py_UCS4 ch)
{
    if (!PyUnicode_Check(chars)) {
        PyErr_SetString(PyExc_TypeError, "collect: a set of characters is a str");
        return -1;
    }
    Py_ssize_t at = PyUnicode_FindChar(chars, ch, 0, PyUnicode_GET_LENGTH(chars), 1);
    return at == -2 ? -1 : at >= 0;
}

/* split.plausible over the pair triggers found (offsets in order, their patterns): appends (s, character)
 * to `out` for those whose character could be part of a term there. */
static int
plausible_pairs(PyObject *folded, const Py_ssize_t *found_s, const Py_ssize_t *found_pid, Py_ssize_t count,
                PyObject *pair_chars, PyObject *contexts, PyObject *out)
{
    Py_ssize_t n = PyUnicode_GET_LENGTH(folded);
    int kind = PyUnicode_KIND(folded);
    const void *data = PyUnicode_DATA(folded);
    for (Py_ssize_t i = 0; i < count; i++) {
        Py_ssize_t s = found_s[i];
        PyObject *ch = PyList_GET_ITEM(pair_chars, found_pid[i]);
        PyObject *context = PyDict_GetItemWithError(contexts, ch);
        if (context == NULL) {
            if (PyErr_Occurred()) {
                return -1;
            }
            continue;
        }
        if (!PyTuple_Check(context) || PyTuple_GET_SIZE(context) != 3) {
            PyErr_SetString(PyExc_TypeError, "collect: a context is (str, str, bool)");
            return -1;
        }
        int keep = PyObject_IsTrue(PyTuple_GET_ITEM(context, 2));
        if (keep < 0) {
            return -1;
        }
        if (!keep && s > 0) {
            keep = holds(PyTuple_GET_ITEM(context, 0), PyUnicode_READ(kind, data, s - 1));
        }
        if (!keep && s < n - 2) {
            keep = holds(PyTuple_GET_ITEM(context, 1), PyUnicode_READ(kind, data, s + 2));
        }
        if (keep < 0) {
            return -1;
        }
        if (!keep) { /* a pair right next to another pair: kept for the closer look */
            keep = (i >= 1 && found_s[i - 1] == s - 2) || (i >= 2 && found_s[i - 2] == s - 2) ||
                   (i + 1 < count && found_s[i + 1] == s + 2) || (i + 2 < count && found_s[i + 2] == s + 2);
        }
        if (keep) {
            PyObject *pair = Py_BuildValue("(nO)", s, ch);
            if (pair == NULL) {
                return -1;
            }
            int rc = PyList_Append(out, pair);
            Py_DECREF(pair);
            if (rc < 0) {
                return -1;
            }
        }
    }
    return 0;
}

/* Rule R2 (rules.Rules.split_by_words) for an unbroken match folded[s:e] of a term in the chunk [lo, hi):
 * 1 when the match reads better as the end of one word and the start of the next, 0 when not, -1 on
 * error. `splits` is the term's Rules.word_splits as (k, len(suffix), free modifier, the characters that
 * can follow, the characters that can precede) with the character sets as str; the words a split needs are
 * substrings of folded (the term is the match). */
static int
r2_split(PyObject *folded, Py_ssize_t s, Py_ssize_t e, Py_ssize_t lo, Py_ssize_t hi, PyObject *splits,
         PyObject *words, Py_ssize_t max_word)
{
    if (!PyTuple_Check(splits)) {
        PyErr_SetString(PyExc_TypeError, "collect: r2[pid] is a tuple of splits");
        return -1;
    }
    Py_ssize_t right = (hi < e + max_word ? hi : e + max_word) - e;
    Py_ssize_t left = s - (lo > s - max_word ? lo : s - max_word);
    if (e - s < 2 || right <= 0) {
        return 0;
    }
    int kind = PyUnicode_KIND(folded);
    const void *data = PyUnicode_DATA(folded);
    Py_UCS4 next = PyUnicode_READ(kind, data, e);
    Py_UCS4 prev = left > 0 ? PyUnicode_READ(kind, data, s - 1) : 0;
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(splits); i++) {
        PyObject *split = PyTuple_GET_ITEM(splits, i);
        if (!PyTuple_Check(split) || PyTuple_GET_SIZE(split) != 5) {
            PyErr_SetString(PyExc_TypeError, "collect: a split is (k, len(suffix), free, after, before)");
            return -1;
        }
        Py_ssize_t k = PyLong_AsSsize_t(PyTuple_GET_ITEM(split, 0));
        Py_ssize_t suffix = PyLong_AsSsize_t(PyTuple_GET_ITEM(split, 1));
        int free_modifier = PyObject_IsTrue(PyTuple_GET_ITEM(split, 2));
        if (PyErr_Occurred() || free_modifier < 0) {
            return -1;
        }
        int follows = holds(PyTuple_GET_ITEM(split, 3), next);
        if (follows <= 0) {
            if (follows < 0) {
                return -1;
            }
            continue;
        }
        int runs_on = 0; /* a word starts inside the term and runs on to the right */
        Py_ssize_t most = right < max_word - suffix ? right : max_word - suffix;
        for (Py_ssize_t r = 1; r <= most && !runs_on; r++) {
            PyObject *word = PyUnicode_Substring(folded, s + k, e + r);
            if (word == NULL) {
                return -1;
            }
            runs_on = PySet_Contains(words, word);
            Py_DECREF(word);
            if (runs_on < 0) {
                return -1;
            }
        }
        if (!runs_on) {
            continue;
        }
        if (free_modifier) {
            return 1;
        }
        if (left == 0) {
            continue;
        }
        int precedes = holds(PyTuple_GET_ITEM(split, 4), prev);
        if (precedes <= 0) {
            if (precedes < 0) {
                return -1;
            }
            continue;
        }
        most = left < max_word - k ? left : max_word - k;
        for (Py_ssize_t r = 1; r <= most; r++) {
            PyObject *word = PyUnicode_Substring(folded, s - r, s + k);
            if (word == NULL) {
                return -1;
            }
            int ends = PySet_Contains(words, word);
            Py_DECREF(word);
            if (ends) {
                return ends; /* 1, or -1 on error */
            }
        }
    }
    return 0;
}

static PyObject *
collect(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 12) {
        PyErr_SetString(PyExc_TypeError, "collect(raw, quick, after, folded, cuts, shifts, pair_chars, contexts, "
                                         "visible, r2, words, max_word)");
        return NULL;
    }
    PyObject *raw = args[0], *quick = args[1], *after = args[2], *folded = args[3];
    PyObject *cuts_obj = args[4], *shifts_obj = args[5], *pair_chars = args[6], *contexts = args[7];
    PyObject *visible_obj = args[8], *r2 = args[9], *words = args[10];
    Py_ssize_t max_word = PyLong_AsSsize_t(args[11]);
    if (max_word == -1 && PyErr_Occurred()) {
        return NULL;
    }
    if (!PyList_Check(r2) || PyList_GET_SIZE(r2) != PyList_GET_SIZE(quick) || !PyAnySet_Check(words) ||
        (visible_obj != Py_None && !PyList_Check(visible_obj))) {
        PyErr_SetString(PyExc_TypeError, "collect: visible is a list or None, r2 a list, words a set");
        return NULL;
    }
    if (!PyList_Check(raw) || !PyList_Check(quick) || !PyList_Check(after) || !PyUnicode_Check(folded) ||
        !PyList_Check(pair_chars) || !PyDict_Check(contexts) || (cuts_obj == Py_None) != (shifts_obj == Py_None) ||
        PyList_GET_SIZE(after) != PyList_GET_SIZE(quick) || PyList_GET_SIZE(pair_chars) != PyList_GET_SIZE(quick)) {
        PyErr_SetString(PyExc_TypeError, "collect(list, list, list, str, list|None, list|None, list, dict)");
        return NULL;
    }
    Py_ssize_t npat = PyList_GET_SIZE(quick);
    Py_ssize_t *found_s = NULL, *found_pid = NULL, nfound = 0, cap = 0;
    Py_ssize_t n = PyUnicode_GET_LENGTH(folded);
    int fkind = PyUnicode_KIND(folded);
    const void *fdata = PyUnicode_DATA(folded);
    Py_ssize_t *cuts = NULL, *shifts = NULL, *visible = NULL, ncuts = 0, nshifts = 0, nvisible = 0;
    PyObject *accepted = NULL, *rest = NULL, *pairs = NULL, *result = NULL;
    if (cuts_obj != Py_None) {
        cuts = int_array(cuts_obj, &ncuts);
        if (cuts == NULL) {
            goto done;
        }
        shifts = int_array(shifts_obj, &nshifts);
        if (shifts == NULL) {
            goto done;
        }
        if (nshifts < ncuts) {
            PyErr_SetString(PyExc_ValueError, "collect: a shift for every cut");
            goto done;
        }
        if (visible_obj != Py_None) {
            visible = int_array(visible_obj, &nvisible);
            if (visible == NULL) {
                goto done;
            }
        }
    }
    accepted = PyDict_New();
    rest = PyList_New(0);
    pairs = PyList_New(0);
    if (accepted == NULL || rest == NULL || pairs == NULL) {
        goto done;
    }
    Py_ssize_t count = PyList_GET_SIZE(raw);
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *m = PyList_GET_ITEM(raw, i);
        if (!PyTuple_Check(m) || PyTuple_GET_SIZE(m) != 3) {
            PyErr_SetString(PyExc_TypeError, "collect: matches are (start, end, pattern id)");
            goto done;
        }
        Py_ssize_t s = PyLong_AsSsize_t(PyTuple_GET_ITEM(m, 0));
        Py_ssize_t e = PyLong_AsSsize_t(PyTuple_GET_ITEM(m, 1));
        Py_ssize_t pid = PyLong_AsSsize_t(PyTuple_GET_ITEM(m, 2));
        if (PyErr_Occurred()) {
            goto done;
        }
        if (pid < 0 || pid >= npat || s < 0 || e <= s || e > n) {
            PyErr_SetString(PyExc_ValueError, "collect: a match outside the text or the patterns");
            goto done;
        }
        if (PyList_GET_ITEM(pair_chars, pid) != Py_None) {
            if (nfound == cap) {
                cap = cap ? 2 * cap : 16;
                Py_ssize_t *more_s = PyMem_Realloc(found_s, cap * sizeof(Py_ssize_t));
                if (more_s == NULL) {
                    PyErr_NoMemory();
                    goto done;
                }
                found_s = more_s;
                Py_ssize_t *more_pid = PyMem_Realloc(found_pid, cap * sizeof(Py_ssize_t));
                if (more_pid == NULL) {
                    PyErr_NoMemory();
                    goto done;
                }
                found_pid = more_pid;
            }
            found_s[nfound] = s;
            found_pid[nfound] = pid;
            nfound++;
        }
        PyObject *q = PyList_GET_ITEM(quick, pid);
        Py_ssize_t entry = q == Py_None ? -1 : PyLong_AsSsize_t(q);
        if (entry == -1 && PyErr_Occurred()) {
            goto done;
        }
        if (entry == -2) {
            continue;
        }
        int unbroken = entry >= 0, check_r2 = 0;
        if (unbroken && e < n) {
            PyObject *chars = PyList_GET_ITEM(after, pid);
            if (chars != Py_None) {
                check_r2 = holds(chars, PyUnicode_READ(fkind, fdata, e));
                if (check_r2 < 0) {
                    goto done;
                }
            }
        }
        Py_ssize_t shift = 0;
        if (unbroken && cuts != NULL) {
            Py_ssize_t k = bisect_right(cuts, ncuts, s);
            unbroken = k == bisect_right(cuts, ncuts, e - 1) && k < nshifts;
            shift = unbroken ? shifts[k] : 0;
        }
        PyObject *splits = check_r2 ? PyList_GET_ITEM(r2, pid) : Py_None;
        if (!unbroken || (check_r2 && (splits == Py_None || (cuts != NULL && visible == NULL)))) {
            if (PyList_Append(rest, m) < 0) {
                goto done;
            }
            continue;
        }
        if (check_r2) {
            Py_ssize_t lo = 0, hi = n; /* the chunk: between the visible removed runs around the match */
            if (visible != NULL) {
                Py_ssize_t i = bisect_right(visible, nvisible, s), j = bisect_right(visible, nvisible, e - 1);
                lo = i ? visible[i - 1] : 0;
                hi = j < nvisible ? visible[j] : n;
            }
            int split = r2_split(folded, s, e, lo, hi, splits, words, max_word);
            if (split < 0) {
                goto done;
            }
            if (split) {
                continue; /* R2: not the term */
            }
        }
        PyObject *key = Py_BuildValue("(nnn)", s + shift, e + shift, entry);
        if (key == NULL) {
            goto done;
        }
        PyObject *value = Py_BuildValue("(iOO)", 0, PyTuple_GET_ITEM(m, 0), PyTuple_GET_ITEM(m, 1));
        if (value == NULL) {
            Py_DECREF(key);
            goto done;
        }
        PyObject *got = PyDict_SetDefault(accepted, key, value);
        Py_DECREF(key);
        Py_DECREF(value);
        if (got == NULL) {
            goto done;
        }
    }
    if (plausible_pairs(folded, found_s, found_pid, nfound, pair_chars, contexts, pairs) < 0) {
        goto done;
    }
    result = PyTuple_Pack(3, accepted, rest, pairs);
done:
    PyMem_Free(found_s);
    PyMem_Free(found_pid);
    PyMem_Free(cuts);
    PyMem_Free(shifts);
    PyMem_Free(visible);
    Py_XDECREF(accepted);
    Py_XDECREF(rest);
    Py_XDECREF(pairs);
    return result;
}

/* hits_of(accepted, info, info_of, vias, hit_type) -> (hits, best, decisive)
 *
 * The end of the engine's decision for a text without exception matches: the accepted matches
 * {(os, oe, entry): (kind, s, e)} in order, each as a Hit (hit_type, a named tuple: term, category, action,
 * start, end, excepted, via) from info[entry] = (term, category, action, strength) (info_of(entry) when
 * info lacks it) and vias[kind]; best is the strongest strength and decisive the categories of the hits
 * of that strength, in order. */
static PyObject *
hits_of(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 5) {
        PyErr_SetString(PyExc_TypeError, "hits_of(accepted, info, info_of, vias, hit_type)");
        return NULL;
    }
    PyObject *accepted = args[0], *info = args[1], *info_of = args[2], *vias = args[3], *hit_type = args[4];
    if (!PyDict_Check(accepted) || !PyDict_Check(info) || !PyCallable_Check(info_of) || !PyDict_Check(vias) ||
        !PyType_Check(hit_type) || !PyType_IsSubtype((PyTypeObject *)hit_type, &PyTuple_Type)) {
        PyErr_SetString(PyExc_TypeError, "hits_of(dict, dict, callable, dict, a tuple type)");
        return NULL;
    }
    PyTypeObject *type = (PyTypeObject *)hit_type;
    PyObject *items = PyDict_Items(accepted);
    PyObject *hits = NULL, *decisive = NULL, *result = NULL;
    long best = 0;
    if (items == NULL || PyList_Sort(items) < 0) {
        goto done;
    }
    Py_ssize_t count = PyList_GET_SIZE(items);
    hits = PyList_New(count);
    decisive = PyList_New(0);
    if (hits == NULL || decisive == NULL) {
        goto done;
    }
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *item = PyList_GET_ITEM(items, i);
        PyObject *key = PyTuple_GET_ITEM(item, 0), *value = PyTuple_GET_ITEM(item, 1);
        if (!PyTuple_Check(key) || PyTuple_GET_SIZE(key) != 3 || !PyTuple_Check(value) ||
            PyTuple_GET_SIZE(value) != 3) {
            PyErr_SetString(PyExc_TypeError, "hits_of: accepted is {(start, end, entry): (kind, s, e)}");
            goto done;
        }
        PyObject *entry = PyTuple_GET_ITEM(key, 2);
        PyObject *found = PyDict_GetItemWithError(info, entry);
        if (found != NULL) {
            Py_INCREF(found);
        }
        else if (PyErr_Occurred()) {
            goto done;
        }
        else {
            found = PyObject_CallOneArg(info_of, entry);
            if (found == NULL) {
                goto done;
            }
        }
        if (!PyTuple_Check(found) || PyTuple_GET_SIZE(found) != 4) {
            Py_DECREF(found);
            PyErr_SetString(PyExc_TypeError, "hits_of: info is (term, category, action, strength)");
            goto done;
        }
        PyObject *via = PyDict_GetItemWithError(vias, PyTuple_GET_ITEM(value, 0));
        long strength = PyLong_AsLong(PyTuple_GET_ITEM(found, 3));
        if (via == NULL || (strength == -1 && PyErr_Occurred())) {
            if (!PyErr_Occurred()) {
                PyErr_SetString(PyExc_KeyError, "hits_of: a kind without a via");
            }
            Py_DECREF(found);
            goto done;
        }
        PyObject *hit = type->tp_alloc(type, 7); /* as tuple.__new__ makes an instance of a tuple subclass */
        if (hit == NULL) {
            Py_DECREF(found);
            goto done;
        }
        PyObject *fields[7] = {PyTuple_GET_ITEM(found, 0), PyTuple_GET_ITEM(found, 1), PyTuple_GET_ITEM(found, 2),
                               PyTuple_GET_ITEM(key, 0), PyTuple_GET_ITEM(key, 1), Py_False, via};
        for (int f = 0; f < 7; f++) {
            PyTuple_SET_ITEM(hit, f, Py_NewRef(fields[f]));
        }
        PyList_SET_ITEM(hits, i, hit);
        PyObject *category = PyTuple_GET_ITEM(found, 1);
        int rc = 0;
        if (strength > best) {
            best = strength;
            rc = PyList_SetSlice(decisive, 0, PyList_GET_SIZE(decisive), NULL);
            if (rc == 0) {
                rc = PyList_Append(decisive, category);
            }
        }
        else if (strength == best && best > 0) {
            rc = PyList_Append(decisive, category);
        }
        Py_DECREF(found);
        if (rc < 0) {
            goto done;
        }
    }
    result = Py_BuildValue("(OlO)", hits, best, decisive);
done:
    Py_XDECREF(items);
    Py_XDECREF(hits);
    Py_XDECREF(decisive);
    return result;
}

static PyMethodDef methods[] = {
    {"fold_view", (PyCFunction)(void (*)(void))fold_view, METH_FASTCALL,
     "fold_view(text, classes, fold) -> (compact, folded, cuts, shifts, flags, words, visible) or None"},
    {"collect", (PyCFunction)(void (*)(void))collect, METH_FASTCALL,
     "collect(raw, quick, after, folded, cuts, shifts, pair_chars, contexts, visible, r2, words, max_word)"
     " -> (accepted, rest, pairs)"},
    {"hits_of", (PyCFunction)(void (*)(void))hits_of, METH_FASTCALL,
     "hits_of(accepted, info, info_of, vias, hit_type) -> (hits, best, decisive)"},
    {NULL, NULL, 0, NULL},
};

static int
exec_module(PyObject *module)
{
    if (PyModule_AddIntConstant(module, "VERSION", NATIVE_VERSION) < 0 ||
        PyModule_AddIntConstant(module, "FLAG_LATIN", FLAG_LATIN) < 0 ||
        PyModule_AddIntConstant(module, "FLAG_STAND_IN", FLAG_STAND_IN) < 0) {
        return -1;
    }
    return 0;
}

static PyModuleDef_Slot slots[] = {
    {Py_mod_exec, exec_module},
    {0, NULL},
};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "qunzu.review._native",
    .m_doc = "The review engine's normalisation pass in C (optional; textview.py has the same in Python).",
    .m_size = 0,
    .m_methods = methods,
    .m_slots = slots,
};

PyMODINIT_FUNC
PyInit__native(void)
{
    return PyModuleDef_Init(&module_def);
}
