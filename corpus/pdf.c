/*
 * pdf.c: the HTML report printed to PDF by headless Chromium (pdf.h).
 *
 * The HTML goes into a private directory made with mkdtemp (mode 0700) with a
 * throw-away browser profile; the renderer runs with its output sent to a log
 * file there, is waited for with a deadline, and everything is removed after.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "corpus/pdf.h"

#define PDF_MAX_BYTES (256u << 20)   /* a report's PDF is a few MB; past this something is wrong */

int pdf_find_renderer(char *out, size_t size)
{
	static const char *const names[] = { "chromium", "chromium-browser", "google-chrome",
		"google-chrome-stable" };
	const char *path = getenv("PATH");
	size_t i;

	if (size)
		out[0] = '\0';
	if (!path || !*path)
		path = "/usr/bin:/bin";
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const char *p = path;

		while (*p) {
			const char *end = strchr(p, ':');
			size_t dl = end ? (size_t)(end - p) : strlen(p);
			int n;

			if (dl == 0)   /* an empty entry is the current directory */
				n = snprintf(out, size, "./%s", names[i]);
			else
				n = snprintf(out, size, "%.*s/%s", (int)dl, p, names[i]);
			if (n > 0 && (size_t)n < size && access(out, X_OK) == 0) {
				struct stat sb;

				if (stat(out, &sb) == 0 && S_ISREG(sb.st_mode))
					return 1;
			}
			p += dl;
			if (*p == ':')
				p++;
		}
	}
	if (size)
		out[0] = '\0';
	return 0;
}

/* Write all of buf to a new file at path (0600). 0 or PROV_EIO. */
static int write_file(const char *path, const char *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	size_t off = 0;

	if (fd < 0)
		return prov_error(PROV_EIO, "pdf: cannot create %s: %s", path, strerror(errno));
	while (off < len) {
		ssize_t w = write(fd, buf + off, len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			close(fd);
			return prov_error(PROV_EIO, "pdf: cannot write %s: %s", path, strerror(errno));
		}
		off += (size_t)w;
	}
	if (close(fd))
		return prov_error(PROV_EIO, "pdf: cannot write %s: %s", path, strerror(errno));
	return 0;
}

/* Append the file at path to *out (at most `max` bytes). 0, PROV_EIO or PROV_ENOMEM/PROV_EDATA (cap). */
static int read_file(struct pbuf *out, const char *path, size_t max, int *missing)
{
	char buf[65536];
	size_t total = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc = 0;

	*missing = 0;
	if (fd < 0) {
		*missing = errno == ENOENT;
		return prov_error(PROV_EIO, "pdf: cannot read %s: %s", path, strerror(errno));
	}
	for (;;) {
		ssize_t r = read(fd, buf, sizeof(buf));

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = prov_error(PROV_EIO, "pdf: cannot read %s: %s", path, strerror(errno));
			break;
		}
		if (r == 0)
			break;
		if (total + (size_t)r > max) {
			rc = prov_error(PROV_EIO, "pdf: %s is larger than %zu bytes", path, max);
			break;
		}
		total += (size_t)r;
		if ((rc = pbuf_add(out, buf, (size_t)r)))
			break;
	}
	close(fd);
	return rc;
}

/* Remove the private directory and everything in it (the profile has subdirectories). */
static void remove_tree(const char *dir)
{
	pid_t pid;
	int st;

	/* the browser profile is a deep tree; rm -rf on our own mkdtemp directory is the plain way */
	pid = fork();
	if (pid == 0) {
		int fd = open("/dev/null", O_WRONLY);

		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execl("/bin/rm", "rm", "-rf", "--", dir, (char *)NULL);
		_exit(127);
	}
	if (pid > 0)
		while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
			;
}

/* The first line of the renderer's log, for the error message ("" if none). */
static void log_head(const char *path, char *out, size_t size)
{
	FILE *fp = fopen(path, "r");
	size_t i;

	out[0] = '\0';
	if (!fp)
		return;
	while (fgets(out, (int)size, fp)) {
		if (strstr(out, "ERROR") || strstr(out, "rror"))
			break;   /* the first error line is the useful one */
		out[0] = '\0';
	}
	fclose(fp);
	for (i = 0; out[i]; i++)
		if (out[i] == '\n' || (unsigned char)out[i] < 0x20)
			out[i] = out[i] == '\n' ? '\0' : ' ';
}

int pdf_print(struct pbuf *out, const char *renderer, const char *html, size_t len, int timeout_s)
{
	const char *tmp = getenv("TMPDIR");
	char dir[4096], page[4200], pdf[4200], profile[4200], logf[4200], url[4300], opt_pdf[4300],
		opt_prof[4300], head[512];
	struct timespec nap = { 0, 50 * 1000 * 1000 };
	long waited_ms = 0;
	size_t start = out->len;
	pid_t pid;
	int st = 0, rc, missing = 0;

	if (!tmp || !*tmp || strlen(tmp) > 3000)
		tmp = "/tmp";
	snprintf(dir, sizeof(dir), "%s/provenance-pdf.XXXXXX", tmp);
	if (!mkdtemp(dir))
		return prov_error(PROV_EIO, "pdf: cannot make a temporary directory in %s: %s", tmp, strerror(errno));
	snprintf(page, sizeof(page), "%s/report.html", dir);
	snprintf(pdf, sizeof(pdf), "%s/report.pdf", dir);
	snprintf(profile, sizeof(profile), "%s/profile", dir);
	snprintf(logf, sizeof(logf), "%s/renderer.log", dir);
	snprintf(url, sizeof(url), "file://%s", page);
	snprintf(opt_pdf, sizeof(opt_pdf), "--print-to-pdf=%s", pdf);
	snprintf(opt_prof, sizeof(opt_prof), "--user-data-dir=%s", profile);
	if ((rc = write_file(page, html, len)))
		goto done;

	pid = fork();
	if (pid < 0) {
		rc = prov_error(PROV_EIO, "pdf: cannot start %s: %s", renderer, strerror(errno));
		goto done;
	}
	if (pid == 0) {
		/* Chromium's sandbox cannot start as root: it refuses to run without --no-sandbox there */
		const char *argv[16];
		int fd = open(logf, O_WRONLY | O_CREAT | O_TRUNC, 0600), k = 0;

		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		argv[k++] = renderer;
		argv[k++] = "--headless";
		if (geteuid() == 0)
			argv[k++] = "--no-sandbox";
		argv[k++] = "--disable-gpu";
		argv[k++] = "--disable-quic";
		argv[k++] = "--no-first-run";
		argv[k++] = "--disable-background-networking";
		argv[k++] = "--disable-component-update";
		argv[k++] = "--disable-sync";
		argv[k++] = opt_prof;
		argv[k++] = "--no-pdf-header-footer";
		argv[k++] = opt_pdf;
		argv[k++] = url;
		argv[k] = NULL;
		setpgid(0, 0);   /* its helper processes go with it when the deadline kills it */
		execv(renderer, (char *const *)argv);
		_exit(127);
	}
	for (;;) {
		pid_t w = waitpid(pid, &st, WNOHANG);

		if (w == pid)
			break;
		if (w < 0 && errno != EINTR) {
			rc = prov_error(PROV_EIO, "pdf: lost the renderer %s: %s", renderer, strerror(errno));
			goto done;
		}
		if (waited_ms >= (long)timeout_s * 1000) {
			kill(-pid, SIGKILL);
			kill(pid, SIGKILL);
			while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
				;
			rc = prov_error(PROV_EIO, "pdf: %s did not finish within %d s; the HTML report "
				"(--format html) can be printed from any browser", renderer, timeout_s);
			goto done;
		}
		nanosleep(&nap, NULL);
		waited_ms += 50;
	}
	log_head(logf, head, sizeof(head));
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		rc = prov_error(PROV_EIO, "pdf: %s failed (%s %d)%s%s", renderer, WIFEXITED(st) ? "exit status" :
			"signal", WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st), head[0] ? ": " : "", head);
		goto done;
	}
	rc = read_file(out, pdf, PDF_MAX_BYTES, &missing);
	if (rc && missing)
		rc = prov_error(PROV_EIO, "pdf: %s wrote no PDF%s%s", renderer, head[0] ? ": " : "", head);
	else if (!rc && (out->len - start < 5 || memcmp(out->data + start, "%PDF-", 5)))
		rc = prov_error(PROV_EIO, "pdf: %s wrote something that is not a PDF", renderer);
done:
	remove_tree(dir);
	return rc;
}
