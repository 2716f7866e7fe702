#ifndef CLIPCUT_CWHISPER_SHIM_H
#define CLIPCUT_CWHISPER_SHIM_H

#include <whisper.h>

/* whisper_full_params holds C strings and callbacks; these helpers let Swift set the ones it
 * needs without building the struct field by field. */

/** Greedy-sampling parameters for a batch transcription (or translation into English): quiet,
 *  with token timestamps. */
static inline struct whisper_full_params cwhisper_batch_params(int n_threads, const char *language, bool translate) {
    struct whisper_full_params params = whisper_full_default_params(WHISPER_SAMPLING_GREEDY);
    params.n_threads = n_threads;
    params.language = language;
    params.translate = translate;
    params.no_context = true;
    params.print_special = false;
    params.print_progress = false;
    params.print_realtime = false;
    params.print_timestamps = false;
    params.token_timestamps = true;
    params.suppress_blank = true;
    return params;
}

/** Context parameters for CPU inference (flash attention on, as whisper.cpp defaults: it
 *  keeps the compute buffers, and so the peak RSS, small). */
static inline struct whisper_context_params cwhisper_cpu_context_params(void) {
    struct whisper_context_params params = whisper_context_default_params();
    params.use_gpu = false;
    params.flash_attn = true;
    return params;
}

#endif
