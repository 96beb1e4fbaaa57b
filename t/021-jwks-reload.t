# The shared JWKS cache survives `nginx -s reload` (no refetch storm when configuration is
# reloaded), and a restart starts empty and refetches. Test::Nginx restarts nginx for every block
# and has no reload step, so this suite drives nginx itself with plain Test::More.

use strict;
use warnings;

use Test::More;
use FindBin;
use lib "$FindBin::Bin/helpers";
use EdgeAuthTest;
use JwksStub;
use File::Path qw(make_path);
use HTTP::Tiny;
use Time::HiRes qw(sleep);

my $nginx = $ENV{TEST_NGINX_BINARY} || 'nginx';
my $module = $ENV{TEST_NGINX_MODULE}
    or plan skip_all => 'TEST_NGINX_MODULE is not set (run through make integration)';
my $port = ($ENV{TEST_NGINX_PORT} || 1984) + 7;
my $root = key_dir() . '/reload-servroot';
make_path("$root/conf", "$root/logs");

gen_key(name => 'k1', kty => 'EC', kid => 'k1', crv => 'P-256');
my $jwks = do { open my $fh, '<', write_jwks('v1.json', 'k1') or die; local $/; <$fh> };
my $stub = JwksStub->start(dir => key_dir(), versions => { v1 => $jwks });
my $sock = $stub->socket;
my $token = sign(key => 'k1', claims => { sub => 'alice' }, ttl => 600);

open my $conf, '>', "$root/conf/nginx.conf" or die;
print {$conf} <<"CONF";
load_module $module;
master_process on;
worker_processes 2;
daemon on;
pid logs/nginx.pid;
error_log logs/error.log info;
events { worker_connections 64; }
http {
    access_log off;
    client_body_temp_path $root/tmp_body;
    proxy_temp_path $root/tmp_proxy;
    fastcgi_temp_path $root/tmp_fastcgi;
    uwsgi_temp_path $root/tmp_uwsgi;
    scgi_temp_path $root/tmp_scgi;
    server {
        listen 127.0.0.1:$port;
        location = /_jwks { internal; proxy_pass http://unix:$sock:/jwks; }
        location /stub/ { proxy_pass http://unix:$sock:/; }
        location /ok { auth_jwt "api"; auth_jwt_key_request /_jwks; empty_gif; }
    }
}
CONF
close $conf;

my $http = HTTP::Tiny->new(timeout => 5);
my $base = "http://127.0.0.1:$port";
sub get { my ($path, %h) = @_; $http->get("$base$path", { headers => \%h }) }
sub api { get('/ok', Authorization => "Bearer $token")->{status} }
sub fetches { (get('/stub/count')->{content} // '') =~ /fetches=(\d+)/ ? $1 : -1 }
sub master_pid { open my $fh, '<', "$root/logs/nginx.pid" or return; my $p = <$fh>; chomp $p; $p }

sub start {
    # under make test-asan the module needs the ASan runtime preloaded into nginx (only)
    local $ENV{LD_PRELOAD} = $ENV{TEST_NGINX_LD_PRELOAD} if $ENV{TEST_NGINX_LD_PRELOAD};
    system($nginx, '-p', "$root/", '-c', 'conf/nginx.conf', '-e', 'logs/error.log') == 0
        or BAIL_OUT("nginx did not start: see $root/logs/error.log");
    for (1 .. 100) { last if get('/stub/count')->{status} == 200; sleep 0.05 }
}

sub stop {
    my $pid = master_pid() or return;
    kill 'QUIT', $pid;
    for (1 .. 100) { last unless kill 0, $pid; sleep 0.05 }
}

END { stop() }

start();
get('/stub/reset');

is(api(), 200, 'first request verifies');
is(fetches(), 1, 'one fetch for the first request');
is(api(), 200, 'second request verifies') for 1 .. 3;
is(fetches(), 1, 'no further fetch');

# Reload: new workers, same shared zone.
my $master = master_pid();
my @old_workers = `pgrep -P $master`;
kill 'HUP', $master;
for (1 .. 100) {
    my @now = `pgrep -P $master`;
    my %old = map { $_ => 1 } @old_workers;
    last if @now && !grep { $old{$_} } @now;
    sleep 0.05;
}

is(api(), 200, "request after reload verifies") for 1 .. 6;
is(fetches(), 1, 'reload refetched nothing: the new workers read the keys from the shared zone');

# Restart: the zone is gone, keys are fetched again.
stop();
start();
is(api(), 200, 'request after restart verifies');
is(fetches(), 2, 'a restart fetches again');

done_testing();
