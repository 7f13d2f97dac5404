/*
 * pdf.h: printing the HTML report to an A4 PDF with a renderer found on the
 * machine (headless Chromium). The only code that runs another program; it
 * lives in corpus/ because it writes and reads files (a private temporary
 * directory, removed afterwards).
 *
 * The PDF is made from the HTML, which is deterministic; the PDF itself
 * carries the renderer's creation date, so two PDFs of one case differ in
 * those bytes only.
 */
#ifndef PROV_PDF_H
#define PROV_PDF_H

#include <stddef.h>

#include "detect/util.h"

/* What to install when no renderer is found (Debian and Ubuntu package names). */
#define PDF_PACKAGE_HINT "apt-get install -y chromium (Debian; chromium-browser on Ubuntu)"

/*
 * The renderer's path: the first of chromium, chromium-browser, google-chrome,
 * google-chrome-stable found executable in $PATH, copied into out[0..size).
 * 1 found, 0 none (out = "").
 */
int pdf_find_renderer(char *out, size_t size);

/*
 * Print `len` bytes of HTML to PDF with the renderer at `renderer`, appending
 * the PDF's bytes to *out. The renderer runs headless with a throw-away
 * profile, no network services and (as root, where its sandbox cannot start)
 * --no-sandbox; it is killed after `timeout_s` seconds.
 * 0, or PROV_EIO (could not run it, it failed, timed out or wrote no PDF; the
 * message names the renderer and quotes the start of what it printed),
 * PROV_ENOMEM.
 */
int pdf_print(struct pbuf *out, const char *renderer, const char *html, size_t len, int timeout_s);

#define PDF_TIMEOUT_S 120

#endif
