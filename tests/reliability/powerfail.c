/*
 * Power-loss and I/O-fault simulation for the reliability tests, loaded with
 * LD_PRELOAD into a writer process. It sees every write, truncate and sync the
 * process makes to files under PF_DIR (sled's log and snapshots, the commit
 * record), numbering them as events.
 *
 * Power loss (PF_CRASH_AT=n): at event n the process loses every write that no
 * sync has made durable and dies with SIGKILL. Before each write the library
 * saves the bytes it overwrites (and the file's size); fsync/fdatasync of a file
 * make its saved writes durable, and sync_file_range with WAIT_AFTER those inside
 * its range. At the crash the saved bytes are put back newest first, so the files
 * hold exactly what a disk that never wrote back the unsynced data would hold.
 * PF_KEEP_PREFIX=1 keeps a random prefix of the unsynced writes instead (a disk
 * that wrote back some of them in order); PF_SEED picks it.
 *
 * I/O faults (PF_FAIL_AT=n, PF_FAIL_ERRNO=5 or 28, PF_FAIL_STICKY=1): event n (and
 * with STICKY every later one) fails with that errno without touching the file.
 *
 * PF_REPORT=path: at exit, write the number of events seen.
 * PF_TRACE=1: print each event (number, call, file, offset, length) to stderr.
 * Renames and directory updates are taken as durable at once.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

typedef ssize_t (*pwrite_fn)(int, const void *, size_t, off_t);
typedef ssize_t (*write_fn)(int, const void *, size_t);
typedef ssize_t (*pread_fn)(int, void *, size_t, off_t);
typedef int (*fsync_fn)(int);
typedef int (*ftruncate_fn)(int, off_t);
typedef int (*sfr_fn)(int, off_t, off_t, unsigned int);

static pwrite_fn real_pwrite64;
static write_fn real_write;
static pread_fn real_pread64;
static fsync_fn real_fsync;
static fsync_fn real_fdatasync;
static ftruncate_fn real_ftruncate64;
static sfr_fn real_sync_file_range;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static const char *dir;
static size_t dirlen;
static long events;
static long crash_at = -1;
static long fail_at = -1;
static int fail_errno = EIO;
static int fail_sticky;
static int keep_prefix;
static uint64_t seed = 1;
static int trace;

struct undo {
    char path[512];
    off_t off;
    size_t len;   /* bytes saved in old */
    char *old;
    off_t old_size;
};

static struct undo *log_;
static size_t log_len, log_cap;

static long env_long(const char *name, long dflt) {
    const char *v = getenv(name);
    return v && *v ? strtol(v, NULL, 10) : dflt;
}

__attribute__((constructor)) static void pf_init(void) {
    real_pwrite64 = (pwrite_fn)dlsym(RTLD_NEXT, "pwrite64");
    real_write = (write_fn)dlsym(RTLD_NEXT, "write");
    real_pread64 = (pread_fn)dlsym(RTLD_NEXT, "pread64");
    real_fsync = (fsync_fn)dlsym(RTLD_NEXT, "fsync");
    real_fdatasync = (fsync_fn)dlsym(RTLD_NEXT, "fdatasync");
    real_ftruncate64 = (ftruncate_fn)dlsym(RTLD_NEXT, "ftruncate64");
    real_sync_file_range = (sfr_fn)dlsym(RTLD_NEXT, "sync_file_range");
    dir = getenv("PF_DIR");
    dirlen = dir ? strlen(dir) : 0;
    crash_at = env_long("PF_CRASH_AT", -1);
    fail_at = env_long("PF_FAIL_AT", -1);
    fail_errno = (int)env_long("PF_FAIL_ERRNO", EIO);
    fail_sticky = (int)env_long("PF_FAIL_STICKY", 0);
    keep_prefix = (int)env_long("PF_KEEP_PREFIX", 0);
    seed = (uint64_t)env_long("PF_SEED", 1) * 0x9E3779B97F4A7C15ull + 1;
    trace = (int)env_long("PF_TRACE", 0);
}

__attribute__((destructor)) static void pf_report(void) {
    const char *path = getenv("PF_REPORT");
    if (!path) return;
    FILE *f = fopen(path, "w");
    if (!f) return;
    fprintf(f, "%ld\n", events);
    fclose(f);
}

/* The path of fd when it lies under PF_DIR. */
static int tracked(int fd, char *path, size_t cap) {
    if (!dir || fd < 0) return 0;
    char link[64];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, path, cap - 1);
    if (n <= 0) return 0;
    path[n] = 0;
    return strncmp(path, dir, dirlen) == 0;
}

static void save(const char *path, int fd, off_t off, size_t len) {
    struct stat st;
    if (fstat(fd, &st) != 0) return;
    if (log_len == log_cap) {
        log_cap = log_cap ? log_cap * 2 : 256;
        log_ = realloc(log_, log_cap * sizeof *log_);
        if (!log_) abort();
    }
    struct undo *u = &log_[log_len++];
    snprintf(u->path, sizeof u->path, "%s", path);
    u->off = off;
    u->old_size = st.st_size;
    u->len = 0;
    u->old = NULL;
    if (off < st.st_size) {
        size_t have = (size_t)(st.st_size - off);
        u->len = len < have ? len : have;
        u->old = malloc(u->len ? u->len : 1);
        if (!u->old) abort();
        ssize_t got = real_pread64(fd, u->old, u->len, off);
        u->len = got > 0 ? (size_t)got : 0;
    }
}

/* Writes to `path` inside [off, off+len) (len 0: all) are durable now. */
static void durable(const char *path, off_t off, off_t len) {
    size_t w = 0;
    for (size_t r = 0; r < log_len; r++) {
        struct undo *u = &log_[r];
        int inside = strcmp(u->path, path) == 0 &&
                     (len == 0 || (u->off >= off && u->off + (off_t)u->len <= off + len));
        if (inside) {
            free(u->old);
        } else {
            log_[w++] = *u;
        }
    }
    log_len = w;
}

static uint64_t next_rand(void) {
    seed ^= seed << 13;
    seed ^= seed >> 7;
    seed ^= seed << 17;
    return seed;
}

static void power_loss(void) {
    size_t keep = 0;
    if (keep_prefix && log_len > 0) keep = (size_t)(next_rand() % (log_len + 1));
    for (size_t i = log_len; i > keep; i--) {
        struct undo *u = &log_[i - 1];
        int fd = open(u->path, O_WRONLY);
        if (fd < 0) continue;
        if (u->len) real_pwrite64(fd, u->old, u->len, u->off);
        struct stat st;
        if (fstat(fd, &st) == 0 && st.st_size > u->old_size) real_ftruncate64(fd, u->old_size);
        close(fd);
    }
    kill(getpid(), SIGKILL);
    _exit(137);
}

/* Counts an event on a tracked file; returns -1 (errno set) when it must fail. */
static int event_at(const char *call, const char *path, long long off, long long len) {
    events++;
    if (trace) fprintf(stderr, "pf %ld %s %s %lld %lld\n", events, call, path, off, len);
    if (crash_at > 0 && events == crash_at) power_loss();
    if (fail_at > 0 && (events == fail_at || (fail_sticky && events > fail_at))) {
        errno = fail_errno;
        return -1;
    }
    return 0;
}

ssize_t pwrite64(int fd, const void *buf, size_t len, off_t off) {
    char path[512];
    if (!tracked(fd, path, sizeof path)) return real_pwrite64(fd, buf, len, off);
    pthread_mutex_lock(&mu);
    ssize_t r = -1;
    if (event_at("pwrite", path, off, len) == 0) {
        save(path, fd, off, len);
        r = real_pwrite64(fd, buf, len, off);
    }
    int e = errno;
    pthread_mutex_unlock(&mu);
    errno = e;
    return r;
}

ssize_t pwrite(int fd, const void *buf, size_t len, off_t off) { return pwrite64(fd, buf, len, off); }

ssize_t write(int fd, const void *buf, size_t len) {
    char path[512];
    if (!tracked(fd, path, sizeof path)) return real_write(fd, buf, len);
    pthread_mutex_lock(&mu);
    ssize_t r = -1;
    if (event_at("write", path, lseek(fd, 0, SEEK_CUR), len) == 0) {
        off_t off = lseek(fd, 0, SEEK_CUR);
        if (off >= 0) save(path, fd, off, len);
        r = real_write(fd, buf, len);
    }
    int e = errno;
    pthread_mutex_unlock(&mu);
    errno = e;
    return r;
}

static int sync_common(int fd, fsync_fn real) {
    char path[512];
    if (!tracked(fd, path, sizeof path)) return real(fd);
    pthread_mutex_lock(&mu);
    int r = -1;
    if (event_at(real == real_fsync ? "fsync" : "fdatasync", path, 0, 0) == 0) {
        r = real(fd);
        if (r == 0) durable(path, 0, 0);
    }
    int e = errno;
    pthread_mutex_unlock(&mu);
    errno = e;
    return r;
}

int fsync(int fd) { return sync_common(fd, real_fsync); }
int fdatasync(int fd) { return sync_common(fd, real_fdatasync); }

int sync_file_range(int fd, off_t off, off_t len, unsigned int flags) {
    char path[512];
    if (!tracked(fd, path, sizeof path)) return real_sync_file_range(fd, off, len, flags);
    pthread_mutex_lock(&mu);
    int r = -1;
    if (event_at("sync_file_range", path, off, len) == 0) {
        r = real_sync_file_range(fd, off, len, flags);
        /* SYNC_FILE_RANGE_WAIT_AFTER (4): the range's data has reached the disk. */
        if (r == 0 && (flags & 4)) durable(path, off, len);
    }
    int e = errno;
    pthread_mutex_unlock(&mu);
    errno = e;
    return r;
}

int ftruncate64(int fd, off_t size) {
    char path[512];
    if (!tracked(fd, path, sizeof path)) return real_ftruncate64(fd, size);
    pthread_mutex_lock(&mu);
    int r = -1;
    if (event_at("ftruncate", path, size, 0) == 0) {
        struct stat st;
        if (fstat(fd, &st) == 0) save(path, fd, size, st.st_size > size ? (size_t)(st.st_size - size) : 0);
        r = real_ftruncate64(fd, size);
    }
    int e = errno;
    pthread_mutex_unlock(&mu);
    errno = e;
    return r;
}

int ftruncate(int fd, off_t size) { return ftruncate64(fd, size); }
