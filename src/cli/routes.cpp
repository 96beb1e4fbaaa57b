/*
 * routes.cpp: `edge-auth routes`, the route inventory of an nginx configuration.
 *
 * nginx parses the configuration itself (`nginx -t -q -c FILE`, the parse `nginx -t` and a reload
 * do); the module writes every server and location it found, with its auth decision, to the file
 * named by EDGE_AUTH_INVENTORY (src/ngx/ngx_http_edge_auth_policy.c). This command runs nginx
 * with that variable pointing at a temporary file and prints the result, as a table or as JSON.
 * There is no second parser of nginx syntax here.
 *
 *     edge-auth routes -c /etc/nginx/nginx.conf            table; exit 1 when nginx -t fails
 *     edge-auth routes -c nginx.conf --json --strict       JSON; exit 1 also on uncovered routes
 */

#include "cli.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <sstream>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

namespace cli {

namespace {

/* Removes the temporary inventory file however the command ends. */
struct TempFile {
    std::string path;
    ~TempFile()
    {
        if (!path.empty()) {
            unlink(path.c_str());
        }
    }
};

std::string make_temp_file()
{
    const char *dir = std::getenv("TMPDIR");
    std::string tmpl = std::string(dir && *dir ? dir : "/tmp") + "/edge-auth-routes-XXXXXX";
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    int fd = mkstemp(buf.data());
    if (fd == -1) {
        throw Error("cannot create a temporary file in " + tmpl + ": " + std::strerror(errno));
    }
    close(fd);
    return std::string(buf.data());
}

struct NginxRun {
    int         status = 0;   /* exit status; -1 when killed by a signal */
    std::string output;       /* stdout and stderr, interleaved */
};

/* Runs nginx with EDGE_AUTH_INVENTORY set for it alone; returns its exit status and output. */
NginxRun run_nginx(const std::vector<std::string> &argv, const std::string &inventory)
{
    int out[2];
    if (pipe(out) == -1) {
        throw Error(std::string("pipe: ") + std::strerror(errno));
    }

    pid_t pid = fork();
    if (pid == -1) {
        int err = errno;
        close(out[0]);
        close(out[1]);
        throw Error(std::string("fork: ") + std::strerror(err));
    }

    if (pid == 0) {
        dup2(out[1], STDOUT_FILENO);
        dup2(out[1], STDERR_FILENO);
        close(out[0]);
        close(out[1]);
        setenv("EDGE_AUTH_INVENTORY", inventory.c_str(), 1);

        std::vector<char *> args;
        for (const std::string &a : argv) {
            args.push_back(const_cast<char *>(a.c_str()));
        }
        args.push_back(nullptr);

        execvp(args[0], args.data());
        std::fprintf(stderr, "cannot run %s: %s\n", args[0], std::strerror(errno));
        _exit(127);
    }

    close(out[1]);

    NginxRun run;
    char buf[4096];
    for (;;) {
        ssize_t n = read(out[0], buf, sizeof(buf));
        if (n > 0) {
            run.output.append(buf, static_cast<size_t>(n));
        } else if (n == 0 || errno != EINTR) {
            break;
        }
    }
    close(out[0]);

    int st = 0;
    while (waitpid(pid, &st, 0) == -1) {
        if (errno != EINTR) {
            throw Error(std::string("waitpid: ") + std::strerror(errno));
        }
    }
    run.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    return run;
}

/* ---- the table ---------------------------------------------------------------------------- */

std::string str_member(const json_t *obj, const char *name)
{
    const json_t *v = json_object_get(obj, name);
    return json_is_string(v) ? std::string(json_string_value(v), json_string_length(v)) : "";
}

std::string line_of(const json_t *obj)
{
    const json_t *v = json_object_get(obj, "line");
    return json_is_integer(v) ? std::to_string(json_integer_value(v)) : "?";
}

std::string server_label(const json_t *server)
{
    std::string label;
    const json_t *names = json_object_get(server, "names");
    const json_t *listen = json_object_get(server, "listen");
    if (json_array_size(names) > 0 && json_is_string(json_array_get(names, 0))) {
        label = json_string_value(json_array_get(names, 0));
    }
    if (json_array_size(listen) > 0 && json_is_string(json_array_get(listen, 0))) {
        label += label.empty() ? "" : " ";
        label += json_string_value(json_array_get(listen, 0));
    }
    return label.empty() ? "(server)" : label;
}

std::string location_label(const json_t *route)
{
    const json_t *loc = json_object_get(route, "location");
    if (!json_is_string(loc)) {
        return "(no location matches)";
    }
    std::string label;
    const json_t *parents = json_object_get(route, "parents");
    for (size_t i = 0; i < json_array_size(parents); i++) {
        const json_t *p = json_array_get(parents, i);
        if (json_is_string(p)) {
            label += std::string(json_string_value(p)) + " > ";
        }
    }
    return label + json_string_value(loc);
}

std::string decision_label(const json_t *route)
{
    std::string d = str_member(route, "decision");
    const json_t *jwt = json_object_get(route, "jwt");
    const json_t *oidc = json_object_get(route, "oidc");
    std::string out;

    if (json_is_object(jwt)) {
        out = "jwt \"" + str_member(jwt, "realm") + "\"";
    }
    if (json_is_object(oidc)) {
        out += (out.empty() ? "" : " + ") + std::string("oidc ") + str_member(oidc, "provider");
        std::string unauth = str_member(oidc, "unauthenticated");
        if (unauth == "pass") {
            out += " (unauthenticated: pass)";
        }
    }
    if (!out.empty()) {
        return out;
    }
    if (d == "public") {
        return "public: " + str_member(json_object_get(route, "public"), "reason");
    }
    if (d == "none") {
        std::string off = str_member(route, "off");
        return off.empty() ? "NONE" : "NONE (" + off + ")";
    }
    return d;
}

/* Whether a problem list has one that strict refuses; appends every message to notes. */
bool collect_problems(const json_t *problems, std::vector<std::string> &notes)
{
    bool refused = false;
    for (size_t i = 0; i < json_array_size(problems); i++) {
        const json_t *p = json_array_get(problems, i);
        bool r = json_is_true(json_object_get(p, "refused_by_strict"));
        refused = refused || r;
        notes.push_back(std::string(r ? "refused by strict" : "note") + " [" +
                        str_member(p, "code") + "] " + str_member(p, "message"));
    }
    return refused;
}

/* Prints the table; returns whether any route or server has a problem strict refuses. */
bool print_table(const json_t *inventory, std::ostream &out)
{
    std::vector<std::vector<std::string>> rows = {{"SERVER", "LOCATION", "DECISION", "FILE:LINE"}};
    std::vector<std::string> notes;
    bool refused = false;

    const json_t *servers = json_object_get(inventory, "servers");
    for (size_t s = 0; s < json_array_size(servers); s++) {
        const json_t *server = json_array_get(servers, s);
        std::string label = server_label(server);
        refused = collect_problems(json_object_get(server, "problems"), notes) || refused;

        const json_t *routes = json_object_get(server, "routes");
        for (size_t r = 0; r < json_array_size(routes); r++) {
            const json_t *route = json_array_get(routes, r);
            bool bad = collect_problems(json_object_get(route, "problems"), notes);
            refused = refused || bad;
            rows.push_back({label, location_label(route), (bad ? "! " : "") + decision_label(route),
                            str_member(route, "file") + ":" + line_of(route)});
        }
    }

    std::vector<size_t> width(4, 0);
    for (const auto &row : rows) {
        for (size_t c = 0; c < 3; c++) {
            width[c] = std::max(width[c], row[c].size());
        }
    }
    for (const auto &row : rows) {
        std::string line;
        for (size_t c = 0; c < 4; c++) {
            line += row[c];
            if (c < 3) {
                line += std::string(width[c] - row[c].size() + 2, ' ');
            }
        }
        out << line << '\n';
    }

    if (!notes.empty()) {
        out << "\nProblems:\n";
        for (const std::string &n : notes) {
            out << "- " << n << '\n';
        }
    }
    return refused;
}

bool any_refused(const json_t *inventory)
{
    std::vector<std::string> ignored;
    bool refused = false;
    const json_t *servers = json_object_get(inventory, "servers");
    for (size_t s = 0; s < json_array_size(servers); s++) {
        const json_t *server = json_array_get(servers, s);
        refused = collect_problems(json_object_get(server, "problems"), ignored) || refused;
        const json_t *routes = json_object_get(server, "routes");
        for (size_t r = 0; r < json_array_size(routes); r++) {
            refused = collect_problems(json_object_get(json_array_get(routes, r), "problems"),
                                       ignored) || refused;
        }
    }
    return refused;
}

}  // namespace

int cmd_routes(const std::vector<std::string> &argv_in)
{
    /* nginx's own short options, as an operator types them */
    std::vector<std::string> argv;
    for (const std::string &a : argv_in) {
        argv.push_back(a == "-c" ? "--config" : a == "-p" ? "--prefix" : a);
    }

    Args args = parse_args(argv, {{"config", true}, {"prefix", true}, {"nginx", true},
                                  {"json", false}, {"strict", false}});
    if (!args.positional.empty()) {
        throw Error("unexpected argument \"" + args.positional[0] + "\"");
    }
    if (!args.has("config")) {
        throw Error("-c FILE is required: the nginx configuration to inspect");
    }

    std::vector<std::string> nginx = {args.get("nginx", "nginx"), "-t", "-q"};
    if (args.has("prefix")) {
        nginx.push_back("-p");
        nginx.push_back(args.get("prefix"));
    }
    nginx.push_back("-c");
    nginx.push_back(args.get("config"));

    TempFile inventory_file;
    inventory_file.path = make_temp_file();

    NginxRun run = run_nginx(nginx, inventory_file.path);
    if (run.status == 127 && run.output.find("cannot run ") != std::string::npos) {
        throw Error(run.output.substr(0, run.output.find('\n')) + " (use --nginx PATH)");
    }

    std::string text = read_file(inventory_file.path);
    bool nginx_ok = run.status == 0;

    /* nginx's messages, less the per-route ones the table or the JSON already carries */
    std::istringstream lines(run.output);
    for (std::string line; std::getline(lines, line);) {
        if (!text.empty() && (line.find(" edge_auth_policy warn: ") != std::string::npos ||
                              line.find(" edge_auth_policy strict: ") != std::string::npos)) {
            continue;
        }
        std::cerr << line << '\n';
    }

    if (text.empty()) {
        if (!nginx_ok) {
            std::cerr << "edge-auth routes: nginx -t failed (exit status " << run.status
                      << ") before the module could write the route inventory\n";
            return 1;
        }
        throw Error("nginx -t passed but wrote no route inventory: the configuration must load "
                    "the module (load_module .../ngx_http_edge_auth_module.so) and have an "
                    "http block");
    }

    Json inventory = parse_json(text, "the route inventory nginx wrote");
    bool refused;

    if (args.has("json")) {
        char *dumped = json_dumps(inventory.get(), JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        if (dumped == nullptr) {
            throw Error("cannot print the inventory as JSON");
        }
        std::cout << dumped << '\n';
        std::free(dumped);
        refused = any_refused(inventory.get());
    } else {
        refused = print_table(inventory.get(), std::cout);
    }

    if (!nginx_ok) {
        std::cerr << "edge-auth routes: nginx -t failed (exit status " << run.status << ")\n";
        return 1;
    }
    if (args.has("strict") && refused) {
        std::cerr << "edge-auth routes: --strict: some routes have problems that "
                     "\"edge_auth_policy strict\" refuses (see Problems)\n";
        return 1;
    }
    return 0;
}

}  // namespace cli
