// Measures what the memory estimate in ../src/memory.rs predicts: the resident memory of
// a process that loads a GGUF model with llama.cpp's default parameters, creates a
// context of N_CTX tokens and decodes a prompt of N_PROMPT tokens (logits for the last
// token only, as a chat does), then generates 16 tokens.
//
// Rerun it when llama-cpp-sys-2 is upgraded and update the table in memory.rs. Build it
// against the llama.cpp that llama-cpp-sys-2 built (after `cargo build --release -p
// hearth-llm`):
//
//   OUT=$(ls -d target/release/build/llama-cpp-sys-2-*/out/build/bin | head -1)
//   SRC=$(ls -d ~/.cargo/registry/src/*/llama-cpp-sys-2-0.1.161/llama.cpp | head -1)
//   gcc -O1 -I$SRC/include -I$SRC/ggml/include crates/hearth-gguf/calibration/rss_probe.c
//       -o /tmp/rss_probe -L$OUT -lllama -lggml -lggml-base -Wl,-rpath,$OUT   (one line)
//   /tmp/rss_probe MODEL.gguf N_CTX N_PROMPT $OUT/libggml-cpu-haswell.so
//
// and compare the "prompt" line with `cargo run --release -p hearth-gguf --example
// gguf_info -- MODEL.gguf N_CTX`.
#include "llama.h"
#include "ggml-backend.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// Prints VmRSS and its anonymous and file-backed parts, in kB as the kernel reports them.
static void report(const char *stage) {
    FILE *f = fopen("/proc/self/status", "r");
    if (!f) { perror("/proc/self/status"); exit(1); }
    char line[256];
    long rss = 0, hwm = 0, anon = 0, file = 0;
    while (fgets(line, sizeof line, f)) {
        sscanf(line, "VmRSS: %ld", &rss);
        sscanf(line, "VmHWM: %ld", &hwm);
        sscanf(line, "RssAnon: %ld", &anon);
        sscanf(line, "RssFile: %ld", &file);
    }
    fclose(f);
    printf("RSS %-9s rss=%ld kB hwm=%ld kB anon=%ld kB file=%ld kB\n", stage, rss, hwm, anon, file);
    fflush(stdout);
}

// Keeps llama.cpp's buffer-size lines (to compare with the estimate's parts) and warnings.
static void log_filter(enum ggml_log_level level, const char *text, void *user) {
    (void) user;
    if (level >= GGML_LOG_LEVEL_WARN || strstr(text, "buffer size") || strstr(text, "n_ctx ")) {
        fputs(text, stderr);
    }
}

int main(int argc, char **argv) {
    if (argc < 5) {
        fprintf(stderr, "usage: %s MODEL.gguf N_CTX N_PROMPT CPU_BACKEND.so\n", argv[0]);
        return 2;
    }
    const char *path = argv[1];
    const int n_ctx = atoi(argv[2]);
    const int n_prompt = atoi(argv[3]);
    llama_log_set(log_filter, NULL);
    report("start");

    // One CPU variant, chosen by hand: letting ggml pick can select an AMX build that the
    // VM does not enable (see DESIGN.md).
    ggml_backend_load(argv[4]);
    llama_backend_init();

    struct llama_model *model = llama_model_load_from_file(path, llama_model_default_params());
    if (!model) { fprintf(stderr, "load failed\n"); return 1; }
    report("model");

    struct llama_context_params cp = llama_context_default_params();
    cp.n_ctx = n_ctx;
    cp.n_threads = 2;
    cp.n_threads_batch = 2;
    struct llama_context *ctx = llama_init_from_model(model, cp);
    if (!ctx) { fprintf(stderr, "context failed\n"); return 1; }
    report("context");

    const struct llama_vocab *vocab = llama_model_get_vocab(model);
    const int n_vocab = llama_vocab_n_tokens(vocab);
    const char *sentence = "The quick brown fox jumps over the lazy dog while the cat sleeps. ";
    // The sentence is about 14 tokens; repeat it until there are at least n_prompt.
    const int repeats = n_prompt / 8 + 1;
    const int max_tokens = n_prompt * 4 + 64;
    char *text = malloc(strlen(sentence) * (size_t) repeats + 1);
    llama_token *tokens = malloc(sizeof(llama_token) * (size_t) max_tokens);
    if (!text || !tokens) { fprintf(stderr, "out of memory\n"); return 1; }
    text[0] = 0;
    for (int i = 0; i < repeats; i++) strcat(text, sentence);
    int n = llama_tokenize(vocab, text, (int32_t) strlen(text), tokens, max_tokens, true, false);
    if (n < 0) { fprintf(stderr, "tokenize failed\n"); return 1; }
    if (n > n_prompt) n = n_prompt;
    printf("prompt tokens %d\n", n);
    // llama_batch_get_one asks for the logits of the last token only.
    for (int i = 0; i < n; i += 512) {
        int m = n - i < 512 ? n - i : 512;
        if (llama_decode(ctx, llama_batch_get_one(tokens + i, m))) { fprintf(stderr, "decode failed\n"); return 1; }
    }
    report("prompt");

    for (int g = 0; g < 16; g++) {
        const float *logits = llama_get_logits_ith(ctx, -1);
        llama_token best = 0;
        for (int j = 1; j < n_vocab; j++) if (logits[j] > logits[best]) best = j;
        if (llama_decode(ctx, llama_batch_get_one(&best, 1))) { fprintf(stderr, "decode failed\n"); return 1; }
    }
    report("generate");

    llama_free(ctx);
    llama_model_free(model);
    free(text);
    free(tokens);
    return 0;
}
