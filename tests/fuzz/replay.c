/* replay.c: a harness of tests/fuzz without libFuzzer. Each argument is a
 * file or a directory of files (tests/fuzz/corpus/<harness>/: the seeds and
 * every input a fuzzer found that once failed), each fed to the harness
 * once; under ASan and UBSan in the sanitizer build, so a fixed bug stays
 * fixed in every test run. Exploring for new inputs is libFuzzer's job
 * (scripts/fuzz.sh). Exit 0 when at least one input ran and none could not
 * be read; a fault in the harness aborts. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

/* What the fuzzer would call: defined by the harness linked with this. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Inputs past this are not corpus files (libFuzzer's largest default is 1 MiB). */
#define REPLAY_MAX_BYTES ((size_t)4 << 20)

/* Feed the file at path to the harness; 0, or -1 with the reason on stderr. */
static int replay_file(const char *path)
{
    int rc = -1;
    uint8_t *data = NULL;
    FILE *f = fopen(path, "rb");
    struct stat st;
    if (!f || fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode) ||
        (size_t)st.st_size > REPLAY_MAX_BYTES) {
        fprintf(stderr, "replay: %s: not a readable file of at most %zu bytes\n", path,
                REPLAY_MAX_BYTES);
        goto done;
    }
    size_t n = (size_t)st.st_size;
    data = malloc(n ? n : 1);
    if (!data || fread(data, 1, n, f) != n) {
        fprintf(stderr, "replay: %s: cannot read it\n", path);
        goto done;
    }
    LLVMFuzzerTestOneInput(data, n);
    rc = 0;
done:
    free(data);
    if (f) fclose(f);
    return rc;
}

int main(int argc, char **argv)
{
    long ran = 0, failed = 0;
    for (int i = 1; i < argc; i++) {
        DIR *d = opendir(argv[i]);
        if (!d) {
            if (replay_file(argv[i]) == 0)
                ran++;
            else
                failed++;
            continue;
        }
        for (struct dirent *e; (e = readdir(d)) != NULL;) {
            if (e->d_name[0] == '.') continue;
            char path[4096];
            snprintf(path, sizeof(path), "%s/%s", argv[i], e->d_name);
            if (replay_file(path) == 0)
                ran++;
            else
                failed++;
        }
        closedir(d);
    }
    printf("replay: %ld inputs ran through the harness, %ld unreadable\n", ran, failed);
    return ran > 0 && failed == 0 ? 0 : 1;
}
