package EdgeAuthSuite;

# Common setup for the module's Test::Nginx::Socket suites (works with the real Test::Nginx and
# with the bundled runner in t/lib):
#
#     use Test::Nginx::Socket 'no_plan';
#     use lib "$FindBin::Bin/helpers";   # (after use FindBin)
#     use EdgeAuthSuite;
#     edge_auth_blocks();
#
# edge_auth_blocks() makes every block
#   - load the module (main_config gets `load_module $TEST_NGINX_MODULE;` unless the block has a
#     main_config that already loads it),
#   - get an echo upstream in http_config, listening on a unix socket: proxy to
#     http://unix:$TEST_NGINX_ECHO_SOCKET: and the response body shows which X-Auth-* headers the
#     upstream received, one "name=value" line each, then the Cookie header it received. It has edge_auth_scrub_headers off, so what it
#     prints is exactly what the protected location sent.

use strict;
use warnings;

use Carp qw(croak);
use Exporter qw(import);
use File::Temp qw(tempdir);

our @EXPORT = qw(edge_auth_blocks echo_upstream);

my $SOCKET_DIR = tempdir('edge-auth-sock-XXXXXX', TMPDIR => 1, CLEANUP => 1);
chmod 0755, $SOCKET_DIR;

$ENV{TEST_NGINX_ECHO_SOCKET} //= "$SOCKET_DIR/echo.sock";

croak 'TEST_NGINX_MODULE is not set: run the suites with `make integration`, or set it to '
    . 'the path of ngx_http_edge_auth_module.so'
    unless $ENV{TEST_NGINX_MODULE};

# The headers the echo upstream reports; tests set these through proxy_set_header.
my @ECHOED = qw(subject email issuer scopes roles extra);

sub echo_upstream {
    my $lines = join '', (map { "$_=\$http_x_auth_$_\\n" } @ECHOED), "cookie=\$http_cookie\\n";
    return <<"CONF";
    server {
        listen unix:\$TEST_NGINX_ECHO_SOCKET;
        edge_auth_scrub_headers off;
        location / {
            default_type text/plain;
            return 200 "$lines";
        }
    }
CONF
}

sub edge_auth_blocks {
    Test::Nginx::Socket::add_block_preprocessor(sub {
        my $block = shift;

        my $main = $block->main_config // '';
        if ($main !~ /load_module/) {
            $block->set_value('main_config',
                "load_module \$TEST_NGINX_MODULE;\n$main");
        }

        my $http = $block->http_config // '';
        $block->set_value('http_config', echo_upstream() . $http);
    });
}

1;
