#ifndef KOINE_CIMAGECODECS_SHIM_H
#define KOINE_CIMAGECODECS_SHIM_H

// PNG (libpng's simplified API), JPEG (libjpeg-turbo) and gzip (zlib) for the
// image data sets. libjpeg reports errors by longjmp, which Swift cannot
// catch, so JPEG decoding and encoding live here in C and return a status.

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>
#include <png.h>
#include <jpeglib.h>
#include <zlib.h>

#define KOINE_IMAGE_OK 0
#define KOINE_IMAGE_ERROR (-1)     // not a valid image; the message says why
#define KOINE_IMAGE_WRONG_SIZE 1   // valid, but not height × width: *height and *width say what it is

struct koine_jpeg_error {
    struct jpeg_error_mgr manager;
    jmp_buf jump;
    char *message;
    size_t message_size;
};

static inline void koine_jpeg_error_exit(j_common_ptr info) {
    struct koine_jpeg_error *error = (struct koine_jpeg_error *)info->err;
    char text[JMSG_LENGTH_MAX];
    (*info->err->format_message)(info, text);
    if (error->message_size > 0) snprintf(error->message, error->message_size, "%s", text);
    longjmp(error->jump, 1);
}

// libjpeg decodes corrupt or truncated data with a warning (filling what is
// missing with grey); a data set should not hide that, so the last warning is
// kept and decoding reports it as an error.
static inline void koine_jpeg_output_message(j_common_ptr info) {
    struct koine_jpeg_error *error = (struct koine_jpeg_error *)info->err;
    char text[JMSG_LENGTH_MAX];
    (*info->err->format_message)(info, text);
    if (error->message_size > 0) snprintf(error->message, error->message_size, "%s", text);
}

static inline void koine_set_message(char *message, size_t message_size, const char *text) {
    if (message_size > 0) snprintf(message, message_size, "%s", text);
}

/// Decodes a JPEG of exactly height × width into `pixels` (row-major, `channels`
/// bytes a pixel: 1 grey or 3 RGB, converted from whatever the file holds).
static inline int koine_decode_jpeg(const unsigned char *data, size_t size, int channels,
                                    int *height, int *width, unsigned char *pixels,
                                    char *message, size_t message_size) {
    struct jpeg_decompress_struct info;
    struct koine_jpeg_error error;
    info.err = jpeg_std_error(&error.manager);
    error.manager.error_exit = koine_jpeg_error_exit;
    error.manager.output_message = koine_jpeg_output_message;
    error.message = message;
    error.message_size = message_size;
    if (setjmp(error.jump)) {
        jpeg_destroy_decompress(&info);
        return KOINE_IMAGE_ERROR;
    }
    jpeg_create_decompress(&info);
    jpeg_mem_src(&info, data, (unsigned long)size);
    jpeg_read_header(&info, TRUE);
    if ((int)info.image_height != *height || (int)info.image_width != *width) {
        *height = (int)info.image_height;
        *width = (int)info.image_width;
        jpeg_destroy_decompress(&info);
        return KOINE_IMAGE_WRONG_SIZE;
    }
    info.out_color_space = channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_start_decompress(&info);
    if ((int)info.output_components != channels) {
        koine_set_message(message, message_size, "cannot convert its colour space");
        jpeg_destroy_decompress(&info);
        return KOINE_IMAGE_ERROR;
    }
    size_t row_bytes = (size_t)info.output_width * (size_t)channels;
    while (info.output_scanline < info.output_height) {
        JSAMPROW row = pixels + (size_t)info.output_scanline * row_bytes;
        jpeg_read_scanlines(&info, &row, 1);
    }
    jpeg_finish_decompress(&info);
    long warnings = error.manager.num_warnings;
    jpeg_destroy_decompress(&info);
    return warnings > 0 ? KOINE_IMAGE_ERROR : KOINE_IMAGE_OK;
}

/// The same for a PNG; transparency is composited onto black.
static inline int koine_decode_png(const unsigned char *data, size_t size, int channels,
                                   int *height, int *width, unsigned char *pixels,
                                   char *message, size_t message_size) {
    png_image image;
    memset(&image, 0, sizeof image);
    image.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_memory(&image, data, size)) {
        koine_set_message(message, message_size, image.message);
        png_image_free(&image);
        return KOINE_IMAGE_ERROR;
    }
    if ((int)image.height != *height || (int)image.width != *width) {
        *height = (int)image.height;
        *width = (int)image.width;
        png_image_free(&image);
        return KOINE_IMAGE_WRONG_SIZE;
    }
    image.format = channels == 1 ? PNG_FORMAT_GRAY : PNG_FORMAT_RGB;
    png_color black = {0, 0, 0};
    if (!png_image_finish_read(&image, &black, pixels, 0, NULL)) {
        koine_set_message(message, message_size, image.message);
        png_image_free(&image);
        return KOINE_IMAGE_ERROR;
    }
    return KOINE_IMAGE_OK;
}

/// Writes row-major 8-bit pixels (1 or 3 channels) as a PNG file; 0 on success.
static inline int koine_write_png(const char *path, const unsigned char *pixels,
                                  int height, int width, int channels) {
    png_image image;
    memset(&image, 0, sizeof image);
    image.version = PNG_IMAGE_VERSION;
    image.width = (png_uint_32)width;
    image.height = (png_uint_32)height;
    image.format = channels == 1 ? PNG_FORMAT_GRAY : PNG_FORMAT_RGB;
    return png_image_write_to_file(&image, path, 0, pixels, 0, NULL) ? 0 : -1;
}

/// Writes row-major 8-bit pixels (1 or 3 channels) as a baseline JPEG file; 0 on success.
static inline int koine_write_jpeg(const char *path, const unsigned char *pixels,
                                   int height, int width, int channels, int quality) {
    FILE *file = fopen(path, "wb");
    if (file == NULL) return -1;
    struct jpeg_compress_struct info;
    struct koine_jpeg_error error;
    info.err = jpeg_std_error(&error.manager);
    error.manager.error_exit = koine_jpeg_error_exit;
    error.message_size = 0;
    if (setjmp(error.jump)) {
        jpeg_destroy_compress(&info);
        fclose(file);
        return -1;
    }
    jpeg_create_compress(&info);
    jpeg_stdio_dest(&info, file);
    info.image_width = (JDIMENSION)width;
    info.image_height = (JDIMENSION)height;
    info.input_components = channels;
    info.in_color_space = channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_set_defaults(&info);
    jpeg_set_quality(&info, quality, TRUE);
    jpeg_start_compress(&info, TRUE);
    size_t row_bytes = (size_t)width * (size_t)channels;
    while (info.next_scanline < info.image_height) {
        JSAMPROW row = (JSAMPROW)(pixels + (size_t)info.next_scanline * row_bytes);
        jpeg_write_scanlines(&info, &row, 1);
    }
    jpeg_finish_compress(&info);
    jpeg_destroy_compress(&info);
    return fclose(file) == 0 ? 0 : -1;
}

#endif
