# Every file in conf-examples/ passes `nginx -t` with the built module, so the examples stay true
# to the code. Paths to keys, client secrets, certificates and logs are pointed at files made here,
# and the example hosts at 127.0.0.1 (nginx resolves proxy_pass hosts at start, and tests have no DNS).

use strict;
use warnings;

use Test::More;
use FindBin;
use lib "$FindBin::Bin/helpers";
use EdgeAuthTest;
use File::Basename qw(basename);
use File::Path qw(make_path);

my $nginx = $ENV{TEST_NGINX_BINARY} || 'nginx';
my $module = $ENV{TEST_NGINX_MODULE}
    or plan skip_all => 'TEST_NGINX_MODULE is not set (run through make integration)';

my @examples = sort glob("$FindBin::Bin/../conf-examples/*.conf");
plan skip_all => 'no conf-examples' unless @examples;

my $dir = key_dir() . '/conf-examples';
make_path("$dir/logs", "$dir/conf");

gen_key(name => 'example', kty => 'EC', crv => 'P-256', kid => 'example');
my $jwks = write_jwks('example-jwks.json', 'example');
my $session_key = session_keys('example-session.key', 'example');

# an OpenID Connect client secret (client_secret_file)
my $client_secret = "$dir/client.secret";
open my $secret, '>', $client_secret or die "$client_secret: $!";
print {$secret} "example-client-secret\n";
close $secret;

system('openssl', 'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256',
       '-nodes', '-days', '1', '-subj', '/CN=localhost', '-keyout', "$dir/tls.key",
       '-out', "$dir/tls.crt") == 0
    or BAIL_OUT('openssl could not make a test certificate');

for my $example (@examples) {
    my $name = basename($example);
    open my $in, '<', $example or die "$example: $!";
    my $conf = do { local $/; <$in> };
    close $in;

    $conf =~ s{load_module\s+\S+;}{load_module $module;}g;
    $conf =~ s{/etc/nginx/jwks/\S+\.json}{$jwks}g;
    $conf =~ s{/etc/nginx/edge-auth-session\.key}{$session_key}g;
    $conf =~ s{/etc/nginx/oidc/\S+\.secret}{$client_secret}g;
    $conf =~ s{/var/lib/nginx/edge-auth-revocations}{$dir/revocations}g;
    $conf =~ s{/etc/nginx/tls/\S+\.crt}{$dir/tls.crt}g;
    $conf =~ s{/etc/nginx/tls/\S+\.key}{$dir/tls.key}g;
    $conf =~ s{/etc/ssl/certs/ca-certificates\.crt}{$dir/tls.crt}g;
    $conf =~ s{/var/log/nginx/}{$dir/logs/}g;
    $conf =~ s{(https?://)[a-z0-9.-]+\.example\.com}{${1}127.0.0.1}g;
    # nginx -t needs no pid file or temp paths of the system's nginx
    $conf = "pid $dir/logs/nginx.pid;\nerror_log $dir/logs/error.log;\n$conf";

    my $path = "$dir/conf/$name";
    open my $out, '>', $path or die "$path: $!";
    print {$out} $conf;
    close $out;

    # under make test-asan the module needs the ASan runtime preloaded into nginx (only)
    local $ENV{LD_PRELOAD} = $ENV{TEST_NGINX_LD_PRELOAD} if $ENV{TEST_NGINX_LD_PRELOAD};
    my $output = `'$nginx' -t -q -p '$dir/' -e '$dir/logs/error.log' -c '$path' 2>&1`;
    is($?, 0, "conf-examples/$name passes nginx -t") or diag($output);
}

done_testing();
