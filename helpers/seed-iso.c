/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdint.h>             /* before libisofs.h, which uses uint32_t without it */
#include <time.h>

/* struct burn_source without libburn: we read the image ourselves. */
#define LIBISOFS_WITHOUT_LIBBURN 1
#include <libisofs/libisofs.h>

#include "seed-iso.h"
#include "util.h"

#define ISO_BLOCK 2048
/* Every timestamp in the image: 2000-01-01 00:00:00 UTC. A real time would make each build differ,
 * and the seed would look changed on every start. */
#define SEED_TIME ((time_t) 946684800)
#define SEED_TIME_UUID "2000010100000000"       /* the same, as the PVD's YYYYMMDDhhmmsscc */

static int add_file(IsoImage *image, const char *name, const char *content) {
        size_t len = strlen(content);
        uint8_t *copy = xmalloc(len ?: 1);
        IsoStream *stream = NULL;
        int r;

        memcpy(copy, content, len);
        r = iso_memory_stream_new(copy, len, &stream);     /* takes copy */
        if (r < 0) {
                free(copy);
                return r;
        }
        r = iso_image_add_new_file(image, iso_image_get_root(image), name, stream, NULL);
        if (r < 0)
                iso_stream_unref(stream);
        return r;
}

static IsoWriteOpts *write_options(void) {
        IsoWriteOpts *o = NULL;
        if (iso_write_opts_new(&o, 0) < 0)
                return NULL;
        iso_write_opts_set_iso_level(o, 2);
        iso_write_opts_set_rockridge(o, 1);
        iso_write_opts_set_joliet(o, 1);
        /* cloud-init looks for the label "cidata" (or "CIDATA"): keep it lower case. */
        iso_write_opts_set_relaxed_vol_atts(o, 1);
        /* Joliet names as written, "meta-data", without ";1" or a trailing dot. */
        iso_write_opts_set_omit_version_numbers(o, 2);
        iso_write_opts_set_no_force_dots(o, 2);
        /* Rock Ridge: files 0444, directories 0555, owner root, whoever built it. */
        iso_write_opts_set_replace_mode(o, 1, 1, 1, 1);
        iso_write_opts_set_always_gmt(o, 1);
        iso_write_opts_set_replace_timestamps(o, 2);
        iso_write_opts_set_default_timestamp(o, SEED_TIME);
        iso_write_opts_set_pvd_times(o, SEED_TIME, SEED_TIME, 0, 0, (char *) SEED_TIME_UUID);
        return o;
}

/* Reads the image libisofs writes (in a thread of its own) block by block. */
static int read_image(struct burn_source *source, void **ret, size_t *ret_size) {
        uint8_t *data = NULL;
        size_t size = 0;
        int n;

        for (;;) {
                data = xrealloc(data, size + ISO_BLOCK);
                n = source->read_xt(source, data + size, ISO_BLOCK);
                if (n != ISO_BLOCK)
                        break;
                size += ISO_BLOCK;
        }
        if (n < 0) {
                free(data);
                return n;
        }
        *ret = data;
        *ret_size = size;
        return 0;
}

static void iso_image_unrefp(IsoImage **image) {
        if (*image)
                iso_image_unref(*image);
}

static void iso_write_opts_freep(IsoWriteOpts **options) {
        if (*options)
                iso_write_opts_free(*options);
}

static void burn_source_freep(struct burn_source **source) {
        if (*source) {
                (*source)->free_data(*source);
                free(*source);
        }
}

/* Builds the image and reads it out; *RET_STEP names the step that failed. Returns a libisofs error
 * code. Its objects are freed on return, before the caller's iso_finish(). */
static int build_image(const SeedEntry *entries, size_t n, void **ret, size_t *ret_size, const char **ret_step) {
        _cleanup_(iso_image_unrefp) IsoImage *image = NULL;
        _cleanup_(iso_write_opts_freep) IsoWriteOpts *options = NULL;
        _cleanup_(burn_source_freep) struct burn_source *source = NULL;
        int r;

        *ret_step = "iso_image_new";
        r = iso_image_new("cidata", &image);
        if (r < 0)
                return r;
        iso_image_set_volume_id(image, "cidata");
        for (size_t i = 0; i < n; i++)
                if (entries[i].content) {
                        *ret_step = entries[i].name;
                        r = add_file(image, entries[i].name, entries[i].content);
                        if (r < 0)
                                return r;
                }

        *ret_step = "write options";
        options = write_options();
        if (!options)
                return ISO_OUT_OF_MEM;
        *ret_step = "writing the image";
        r = iso_image_create_burn_source(image, options, &source);
        if (r < 0)
                return r;
        r = read_image(source, ret, ret_size);
        if (r < 0)
                source->cancel(source);
        return r;
}

int seed_iso_render(const SeedEntry *entries, size_t n, void **ret, size_t *ret_size, char **ret_error) {
        time_t now = SEED_TIME;
        const char *step = "iso_init";
        int r;

        r = iso_init_with_flag(1);              /* 1: leave the locale alone */
        if (r >= 0) {
                /* Errors come back as return values, told by us; libisofs itself stays quiet. */
                iso_set_msgs_severities((char *) "NEVER", (char *) "NEVER", (char *) "");
                iso_set_local_charset((char *) "UTF-8", 0);
                iso_nowtime(&now, 1);           /* the root directory's times */
                r = build_image(entries, n, ret, ret_size, &step);
        }
        iso_finish();
        if (r < 0) {
                *ret_error = xasprintf("libisofs: %s: %s", step, iso_error_to_msg(r));
                return -EIO;
        }
        return 0;
}
