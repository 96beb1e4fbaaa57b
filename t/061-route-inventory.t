# `edge-auth routes`: the route inventory of a realistic configuration (several servers, an
# included file, nested, regex, named, if and limit_except blocks, internal locations), as nginx's
# own parse gives it. The JSON is compared with the expected structure (absolute paths reduced to
# file names, problem messages to their codes), then the table, then the exit statuses: nginx -t
# failing, --strict, a configuration without the module.

use strict;
use warnings;

use Test::More;
use FindBin;
use lib "$FindBin::Bin/helpers";
use EdgeAuthTest;
use File::Path qw(make_path);
use JSON::PP;

my $nginx = $ENV{TEST_NGINX_BINARY} || 'nginx';
my $module = $ENV{TEST_NGINX_MODULE}
    or plan skip_all => 'TEST_NGINX_MODULE is not set (run through make integration)';

my $dir = key_dir() . '/routes';
make_path("$dir/logs", "$dir/conf.d");

gen_key(name => 'inventory', kty => 'EC', crv => 'P-256', kid => 'inventory');
my $jwks = write_jwks('inventory-jwks.json', 'inventory');
my $session_key = session_keys('inventory-session.key', 'inventory');

sub write_file {
    my ($path, $text) = @_;
    open my $fh, '>', $path or die "$path: $!";
    print {$fh} $text;
    close $fh;
    return $path;
}

# Line numbers matter below: the expected inventory names them.
sub config {
    my ($policy) = @_;
    return <<"CONF";
load_module $module;
pid $dir/logs/nginx.pid;
error_log $dir/logs/error.log;
events { worker_connections 64; }
http {
    access_log off;
    edge_auth_policy $policy;
    map \$jwt_claim_role \$is_admin { default ""; admin 1; }
    oidc_provider corp {
        cookie_name S;
        session_key_file $session_key;
    }

    server {
        listen 127.0.0.1:8443;
        server_name api.example.com api-internal.example.com;
        auth_jwt_key_file $jwks;
        auth_jwt_issuer https://idp.example.com/;
        auth_jwt_audience https://api.example.com;
        auth_jwt_algorithms ES256;

        location / {
            auth_jwt "api";
            proxy_pass http://127.0.0.1:9000;

            location /v1/admin/ {
                auth_jwt "admin";
                auth_jwt_require \$is_admin error=403;
                limit_except GET {
                    deny all;
                }
                proxy_pass http://127.0.0.1:9000;
            }

            location ~ \\.(css|js)\$ {
                edge_auth_public "static assets, no user data";
                root /var/www/static;
            }
        }

        location = /healthz {
            edge_auth_public "liveness probe, no user data";
            return 200 "ok\\n";
        }

        location = /_backend_status {
            internal;
            proxy_pass http://127.0.0.1:9000/status;
        }
    }

    server {
        listen 127.0.0.1:8080;
        server_name app.example.com;
        auth_oidc corp;
        include $dir/conf.d/app.conf;
    }

    server {
        listen 127.0.0.1:8081;
        server_name legacy.example.com;
        auth_jwt_key_file $jwks;

        location / {
            edge_auth_public "legacy brochure site";
            root /var/www/legacy;
        }

        location /reports/ {
            auth_jwt "reports";
            limit_except GET {
                auth_jwt off;
            }
        }

        location /exports/ {
            root /var/www/exports;
        }
    }
}
CONF
}

write_file("$dir/conf.d/app.conf", <<'CONF');
location / {
    proxy_pass http://127.0.0.1:9001;
    if ($http_x_debug) {
        set $debug 1;
    }
}

location @signin_failed {
    edge_auth_public "sign-in error page";
    return 403 "sign-in failed\n";
}
CONF

# Runs edge-auth routes; returns (exit status, stdout, stderr).
sub routes {
    my @args = @_;
    my $out = "$dir/stdout";
    my $err = "$dir/stderr";
    # under make test-asan the module needs the ASan runtime preloaded into nginx
    local $ENV{LD_PRELOAD} = $ENV{TEST_NGINX_LD_PRELOAD} if $ENV{TEST_NGINX_LD_PRELOAD};
    system(join ' ', map({ "'$_'" } cli(), 'routes', @args), ">'$out'", "2>'$err'");
    my $status = $? >> 8;
    my $slurp = sub { open(my $fh, '<', $_[0]) or return ''; local $/; scalar(<$fh>) // '' };
    return ($status, $slurp->($out), $slurp->($err));
}

# Absolute paths to file names, problem messages to their codes, for comparison.
sub normalize {
    my ($node) = @_;
    if (ref $node eq 'HASH') {
        my %copy;
        for my $k (keys %$node) {
            if ($k eq 'file' || $k eq 'files') {
                $copy{$k} = ref $node->{$k} ? [map { s{.*/}{}r } @{ $node->{$k} }]
                                            : $node->{$k} =~ s{.*/}{}r;
            } elsif ($k eq 'problems') {
                $copy{$k} = [map { $_->{code} . ($_->{refused_by_strict} ? '' : ' (note)') }
                             @{ $node->{$k} }];
            } else {
                $copy{$k} = normalize($node->{$k});
            }
        }
        return \%copy;
    }
    return [map { normalize($_) } @$node] if ref $node eq 'ARRAY';
    return JSON::PP::is_bool($node) ? ($node ? 1 : 0) : $node;
}

my $conf = write_file("$dir/nginx.conf", config('warn'));

my %api_jwt = (issuers => ['https://idp.example.com/'], audiences => ['https://api.example.com'],
               algorithms => ['ES256'], keys => { files => ['inventory-jwks.json'] },
               require => []);
my %legacy_jwt = (issuers => [], audiences => [],
                  algorithms => [qw(RS256 RS384 RS512 PS256 PS384 PS512 ES256 ES384 ES512 EdDSA)],
                  keys => { files => ['inventory-jwks.json'] }, require => []);
sub route {
    my ($location, $kind, $parents, $file, $line, $decision, %more) = @_;
    return { location => $location, kind => $kind, parents => $parents, file => $file,
             line => $line, internal => 0, decision => $decision, problems => [], %more };
}

my $expected = {
    format => 1,
    servers => [
        {
            names => ['api.example.com', 'api-internal.example.com'],
            listen => ['127.0.0.1:8443'], file => 'nginx.conf', line => 14, policy => 'warn',
            problems => [],
            routes => [
                route('/', 'prefix', [], 'nginx.conf', 22, 'jwt',
                      jwt => { realm => 'api', %api_jwt }),
                route('/v1/admin/', 'prefix', ['/'], 'nginx.conf', 26, 'jwt',
                      jwt => { realm => 'admin', %api_jwt, require => ['$is_admin'] }),
                route('limit_except GET', 'limit_except', ['/', '/v1/admin/'], 'nginx.conf', 29,
                      'jwt', jwt => { realm => 'admin', %api_jwt, require => ['$is_admin'] }),
                route('~ \.(css|js)$', 'regex', ['/'], 'nginx.conf', 35, 'public',
                      public => { reason => 'static assets, no user data',
                                  file => 'nginx.conf', line => 36 }),
                route('= /healthz', 'exact', [], 'nginx.conf', 41, 'public',
                      public => { reason => 'liveness probe, no user data',
                                  file => 'nginx.conf', line => 42 }),
                route('= /_backend_status', 'exact', [], 'nginx.conf', 46, 'internal',
                      internal => 1),
            ],
        },
        {
            names => ['app.example.com'], listen => ['127.0.0.1:8080'], file => 'nginx.conf',
            line => 52, policy => 'warn', problems => [],
            routes => [
                route('/', 'prefix', [], 'app.conf', 1, 'oidc',
                      oidc => { provider => 'corp', unauthenticated => 'auto' }),
                route('if ($http_x_debug)', 'if', ['/'], 'app.conf', 3, 'oidc',
                      oidc => { provider => 'corp', unauthenticated => 'auto' }),
                route('@signin_failed', 'named', [], 'app.conf', 8, 'public',
                      public => { reason => 'sign-in error page', file => 'app.conf',
                                  line => 9 }),
            ],
        },
        {
            names => ['legacy.example.com'], listen => ['127.0.0.1:8081'], file => 'nginx.conf',
            line => 59, policy => 'warn', problems => [],
            routes => [
                route('/', 'prefix', [], 'nginx.conf', 64, 'public',
                      public => { reason => 'legacy brochure site', file => 'nginx.conf',
                                  line => 65 }),
                route('/reports/', 'prefix', [], 'nginx.conf', 69, 'jwt',
                      jwt => { realm => 'reports', %legacy_jwt }),
                route('limit_except GET', 'limit_except', ['/reports/'], 'nginx.conf', 71,
                      'none', off => 'auth_jwt off', problems => ['auth_off']),
                route('/exports/', 'prefix', [], 'nginx.conf', 76, 'none',
                      problems => ['no_decision']),
            ],
        },
    ],
};

# ---- JSON --------------------------------------------------------------------------------------

my ($status, $out, $err) = routes('-c', $conf, '--json', '--nginx', $nginx);
is($status, 0, 'routes --json: nginx -t passes in warn mode') or diag($err);
my $inventory = eval { decode_json($out) };
ok($inventory, 'routes --json prints JSON') or diag("$@\n$out");
is_deeply(normalize($inventory), $expected, 'the inventory matches the configuration')
    or diag(JSON::PP->new->canonical->pretty->encode(normalize($inventory)));

my ($off) = grep { ($_->{code} // '') eq 'auth_off' }
            map { @{ $_->{problems} } } map { @{ $_->{routes} } } @{ $inventory->{servers} };
like($off->{message} // '',
     qr{^limit_except GET inside location /reports/ in \Q$dir\E/nginx\.conf:71 \(server "legacy\.example\.com" on 127\.0\.0\.1:8081\) has "auth_jwt off", which is not a decision},
     'problems carry the full message with absolute file and line');
unlike($err, qr/edge_auth_policy warn: /,
       'the per-route warnings are not repeated on stderr: the inventory has them');

# ---- the table ---------------------------------------------------------------------------------

($status, $out, $err) = routes('-c', $conf, '--nginx', $nginx);
is($status, 0, 'routes (table): exit status 0 in warn mode') or diag($err);
my ($table, $problems) = split /\n\nProblems:\n/, $out, 2;
$table =~ s{\Q$dir\E/(conf\.d/)?}{}g;
my @rows = map { [split /\s{2,}/] } split /\n/, $table;
is_deeply(\@rows, [
    ['SERVER', 'LOCATION', 'DECISION', 'FILE:LINE'],
    ['api.example.com 127.0.0.1:8443', '/', 'jwt "api"', 'nginx.conf:22'],
    ['api.example.com 127.0.0.1:8443', '/ > /v1/admin/', 'jwt "admin"', 'nginx.conf:26'],
    ['api.example.com 127.0.0.1:8443', '/ > /v1/admin/ > limit_except GET', 'jwt "admin"',
     'nginx.conf:29'],
    ['api.example.com 127.0.0.1:8443', '/ > ~ \.(css|js)$', 'public: static assets, no user data',
     'nginx.conf:35'],
    ['api.example.com 127.0.0.1:8443', '= /healthz', 'public: liveness probe, no user data',
     'nginx.conf:41'],
    ['api.example.com 127.0.0.1:8443', '= /_backend_status', 'internal', 'nginx.conf:46'],
    ['app.example.com 127.0.0.1:8080', '/', 'oidc corp', 'app.conf:1'],
    ['app.example.com 127.0.0.1:8080', '/ > if ($http_x_debug)', 'oidc corp', 'app.conf:3'],
    ['app.example.com 127.0.0.1:8080', '@signin_failed', 'public: sign-in error page',
     'app.conf:8'],
    ['legacy.example.com 127.0.0.1:8081', '/', 'public: legacy brochure site', 'nginx.conf:64'],
    ['legacy.example.com 127.0.0.1:8081', '/reports/', 'jwt "reports"', 'nginx.conf:69'],
    ['legacy.example.com 127.0.0.1:8081', '/reports/ > limit_except GET',
     '! NONE (auth_jwt off)', 'nginx.conf:71'],
    ['legacy.example.com 127.0.0.1:8081', '/exports/', '! NONE', 'nginx.conf:76'],
], 'the table lists every route with its decision, file and line');
like($problems // '', qr{^- refused by strict \[auth_off\] limit_except GET inside location /reports/ }m,
     'the table is followed by the problems');
like($problems // '', qr{^- refused by strict \[no_decision\] location /exports/ in \S+nginx\.conf:76 }m,
     'each problem on its own line');

# ---- exit statuses -----------------------------------------------------------------------------

($status, $out, $err) = routes('-c', $conf, '--strict', '--nginx', $nginx);
is($status, 1, '--strict: exit status 1 when a route has a problem strict refuses');
like($err, qr/--strict: some routes have problems/, '--strict says why');

my $strict_conf = write_file("$dir/strict.conf", config('strict'));
($status, $out, $err) = routes('-c', $strict_conf, '--nginx', $nginx);
is($status, 1, 'strict policy: nginx -t fails, so does routes');
like($err, qr/edge_auth_policy strict \(\S+strict\.conf:7\): nginx refuses this configuration for the 2 route problems/,
     "nginx's message is shown");
like($err, qr/test failed/, "and nginx's verdict");
like($out, qr{^legacy\.example\.com 127\.0\.0\.1:8081\s+/exports/\s+! NONE\s+\S+strict\.conf:76$}m,
     'the table is still printed, so the failing routes can be seen');

my $broken = write_file("$dir/broken.conf", config('warn') =~ s/auth_oidc corp;/auth_oidc corp;\n        no_such_directive on;/r);
($status, $out, $err) = routes('-c', $broken, '--nginx', $nginx);
is($status, 1, 'a configuration nginx cannot parse: exit status 1');
like($err, qr/\[emerg\].*unknown directive "no_such_directive" in \S+broken\.conf:56/,
     "with nginx's message naming the file and line");
is($out, '', 'and no table');

my $plain = write_file("$dir/plain.conf", <<"CONF");
pid $dir/logs/nginx.pid;
error_log $dir/logs/error.log;
events { worker_connections 64; }
http { server { listen 127.0.0.1:8082; location / { return 200; } } }
CONF
($status, $out, $err) = routes('-c', $plain, '--nginx', $nginx);
is($status, 2, 'a configuration without the module: exit status 2');
like($err, qr/wrote no route inventory: the configuration must load the module/, 'and says why');

($status, $out, $err) = routes('--json');
is($status, 2, 'no -c: exit status 2');
like($err, qr/-c FILE is required/, 'and says so');

done_testing();
