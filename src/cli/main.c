/* main.c - the memgrid program: a member started from the command line. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config.h"
#include "memgrid.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: memgrid [options]\n"
            "  --config FILE        read FILE (default: ./hazelcast.yaml if present, else built-in defaults)\n"
            "  --check-config FILE  validate FILE, print the effective configuration, exit (0 ok, 2 invalid)\n"
            "  --port N             listen on port N (0: any free port) instead of network.port\n"
            "  --host ADDR          bind and announce ADDR (default 127.0.0.1)\n"
            "  --port-file FILE     write the port to FILE once listening (for tests)\n"
            "  --workers N          worker threads (default 1)\n"
            "  --version            print the version\n"
            "  --help               this text\n");
}

static int check_config(const char *path)
{
    mg_config c;
    mg_config_defaults(&c);
    int rc = mg_config_load_file(&c, path, NULL, NULL);
    if (rc == 0) {
        printf("%s: valid\n", path);
        mg_config_dump(&c, stdout);
    } else {
        fprintf(stderr, "%s: invalid\n", path);
    }
    mg_config_free(&c);
    return rc == 0 ? 0 : 2;
}

static int write_port_file(const char *path, int port)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f)
        return -1;
    fprintf(f, "%d\n", port);
    if (fclose(f) != 0)
        return -1;
    return rename(tmp, path);   /* readers never see a half-written file */
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"config", required_argument, 0, 'c'},  {"check-config", required_argument, 0, 'C'},
        {"port", required_argument, 0, 'p'},    {"host", required_argument, 0, 'H'},
        {"port-file", required_argument, 0, 'f'}, {"workers", required_argument, 0, 'w'},
        {"version", no_argument, 0, 'v'},       {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    mg_member_options opts = {.config_path = NULL, .port = -1, .host = NULL, .workers = 0};
    const char *port_file = NULL;
    int ch;
    while ((ch = getopt_long(argc, argv, "c:p:h", longopts, NULL)) != -1) {
        char *end;
        switch (ch) {
        case 'c': opts.config_path = optarg; break;
        case 'C': return check_config(optarg);
        case 'p':
            opts.port = (int)strtol(optarg, &end, 10);
            if (*end || opts.port < 0 || opts.port > 65535) {
                fprintf(stderr, "memgrid: --port wants 0..65535, got '%s'\n", optarg);
                return 2;
            }
            break;
        case 'H': opts.host = optarg; break;
        case 'f': port_file = optarg; break;
        case 'w': opts.workers = atoi(optarg); break;
        case 'v': printf("memgrid %s\n", mg_version()); return 0;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "memgrid: unexpected argument '%s'\n", argv[optind]);
        usage(stderr);
        return 2;
    }
    if (!opts.config_path && access("hazelcast.yaml", R_OK) == 0)
        opts.config_path = "hazelcast.yaml";

    /* Signals are taken by this thread alone (sigwait); workers inherit the mask. */
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);

    mg_member *m;
    int rc = mg_member_create(&opts, &m);
    if (rc != MG_OK) {
        fprintf(stderr, "memgrid: %s\n", mg_strerror(rc));
        return 2;
    }
    rc = mg_member_start(m);
    if (rc != MG_OK) {
        fprintf(stderr, "memgrid: %s\n", mg_strerror(rc));
        mg_member_destroy(m);
        return 1;
    }
    if (port_file && write_port_file(port_file, mg_member_port(m)) != 0) {
        fprintf(stderr, "memgrid: cannot write %s: %s\n", port_file, strerror(errno));
        mg_member_destroy(m);
        return 1;
    }
    int sig = 0;
    sigwait(&sigs, &sig);
    mg_member_destroy(m);
    return 0;
}
