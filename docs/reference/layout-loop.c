/* A plain C reference for the cache_fill scenarios (13-17): lays out one
 * file the way a fill says, then reads it whole through a map, with pread
 * into a page-aligned 64 KiB buffer and with read() into a page-aligned
 * 1 MiB buffer, folding every byte as mmap-lab's Fold does (8 lanes of
 * u64: a += word; b += a). Prints the median rate of each, in GB/s.
 *
 *   cc -O3 -march=native -o layout-loop docs/reference/layout-loop.c
 *   ./layout-loop DIR SIZE_MIB one|w4k|w64k|readback|mapback [ROUNDS]
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static uint64_t A[8], B[8];

static void fold(const unsigned char *p, size_t n) {
    uint64_t a[8], b[8]; /* locals: the bytes cannot alias them */
    memcpy(a, A, sizeof a);
    memcpy(b, B, sizeof b);
    for (size_t i = 0; i + 64 <= n; i += 64) {
        if (n > (1 << 20)) __builtin_prefetch(p + i + 4096);
        for (int l = 0; l < 8; l++) {
            uint64_t w;
            memcpy(&w, p + i + 8 * l, 8);
            a[l] += w;
            b[l] += a[l];
        }
    }
    memcpy(A, a, sizeof a);
    memcpy(B, b, sizeof b);
}

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static void evict(int fd) { fdatasync(fd); posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED); }

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    if (argc < 4) { fprintf(stderr, "usage: %s DIR SIZE_MIB FILL [ROUNDS]\n", argv[0]); return 2; }
    size_t size = (size_t)atol(argv[2]) << 20;
    const char *fill = argv[3];
    int rounds = argc > 4 ? atoi(argv[4]) : 9;
    char path[4096];
    snprintf(path, sizeof path, "%s/layout-loop.bin", argv[1]);
    unsigned char *data = malloc(size);
    for (size_t i = 0; i < size; i++) data[i] = (unsigned char)(i * 2654435761u >> 13);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    size_t piece = !strcmp(fill, "w4k") ? 4096 : !strcmp(fill, "w64k") ? 65536 : size;
    for (size_t at = 0; at < size; at += piece) write(fd, data + at, piece);
    fdatasync(fd);
    if (!strcmp(fill, "readback")) {
        evict(fd);
        unsigned char *buf = aligned_alloc(4096, 128 << 10);
        while (read(fd, buf, 128 << 10) > 0) {}
        lseek(fd, 0, SEEK_SET);
    } else if (!strcmp(fill, "mapback")) {
        evict(fd);
        volatile unsigned char *m = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
        unsigned s = 0;
        for (size_t i = 0; i < size; i += 4096) s += m[i];
        munmap((void *)m, size);
    }
    close(fd);
    unsigned char *b64 = aligned_alloc(4096, 64 << 10), *b1m = aligned_alloc(4096, 1 << 20);
    double t[3][64];
    for (int r = 0; r < rounds && r < 64; r++) {
        double s = now();
        int f = open(path, O_RDONLY);
        unsigned char *m = mmap(NULL, size, PROT_READ, MAP_SHARED, f, 0);
        fold(m, size);
        munmap(m, size);
        close(f);
        t[0][r] = now() - s;
        s = now();
        f = open(path, O_RDONLY);
        for (off_t at = 0; pread(f, b64, 64 << 10, at) > 0; at += 64 << 10) fold(b64, 64 << 10);
        close(f);
        t[1][r] = now() - s;
        s = now();
        f = open(path, O_RDONLY);
        ssize_t got;
        while ((got = read(f, b1m, 1 << 20)) > 0) fold(b1m, (size_t)got);
        close(f);
        t[2][r] = now() - s;
    }
    const char *names[3] = {"map", "pread 64 KiB", "read 1 MiB"};
    for (int k = 0; k < 3; k++) {
        qsort(t[k], rounds, sizeof(double), cmp);
        printf("%s %s %zu MiB: %.2f GB/s\n", fill, names[k], size >> 20, size / t[k][rounds / 2] / 1e9);
    }
    fprintf(stderr, "(fold %llx)\n", (unsigned long long)(A[0] ^ B[7]));
    unlink(path);
    return 0;
}
