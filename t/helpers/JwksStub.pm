package JwksStub;

# A stub JWKS endpoint for the faults a real provider will not produce on demand: key rotation
# at a chosen moment, 5xx, broken JSON, slowness, an oversized or empty key set. It runs in a
# child process on a unix socket and is steered by the test's own requests through nginx, so a
# single Test::Nginx block can script "serve v1, then rotate to v2, then fail":
#
#     use JwksStub;
#     my $stub = JwksStub->start(dir => key_dir(), versions => { v1 => $jwks1, v2 => $jwks2 });
#     $ENV{TEST_NGINX_STUB_SOCKET} = $stub->socket;
#
#     location = /_jwks  { internal; proxy_pass http://unix:$TEST_NGINX_STUB_SOCKET:/jwks; }
#     location /stub/    { proxy_pass http://unix:$TEST_NGINX_STUB_SOCKET:/; }
#
#     GET /stub/control?version=v2          serve v2 from now on
#     GET /stub/control?mode=500            ok | 500 | garbage | empty | huge | slow
#     GET /stub/control?cache_control=max-age%3D1
#     GET /stub/count                       how many times /jwks was fetched
#     GET /stub/seen                        the request headers of the last /jwks fetch
#     GET /stub/reset                       count = 0, version = v1, mode = ok, no cache_control
#     GET /stub/sleep?ms=1100               answers after that long (a pause inside a block)
#
# It answers one connection at a time, which is all nginx's single-flight fetching needs.

use strict;
use warnings;

use IO::Socket::UNIX;
use Socket qw(SOCK_STREAM);
use Time::HiRes qw(sleep);
use POSIX ();

sub start {
    my ($class, %o) = @_;
    my $path = "$o{dir}/jwks-stub.sock";
    unlink $path;

    my $listen = IO::Socket::UNIX->new(Type => SOCK_STREAM, Local => $path, Listen => 16)
        or die "jwks stub: cannot listen on $path: $!";
    chmod 0777, $path;

    my $pid = fork();
    die "jwks stub: fork: $!" unless defined $pid;

    if ($pid == 0) {
        # the child only serves; the parent's END blocks and temp-dir cleanup are not its own
        $SIG{TERM} = sub { POSIX::_exit(0) };
        serve($listen, $o{versions});
        POSIX::_exit(0);
    }

    close $listen;
    return bless { pid => $pid, socket => $path, owner => $$ }, $class;
}

sub socket { $_[0]{socket} }

sub DESTROY {
    my $self = shift;
    return unless $self->{owner} == $$ && $self->{pid};
    kill 'TERM', $self->{pid};
    waitpid $self->{pid}, 0;
}

sub serve {
    my ($listen, $versions) = @_;
    my %state;
    my $reset = sub { %state = (count => 0, version => 'v1', mode => 'ok', cache_control => '') };
    $reset->();

    while (my $c = $listen->accept) {
        my $line = <$c> // '';
        my @headers;
        while (my $h = <$c>) { last if $h =~ /^\r?\n$/; push @headers, $h }
        my ($path, $query) = $line =~ m{^\w+ (/[^ ?]*)(?:\?(\S*))? HTTP} ? ($1, $2 // '') : ('', '');
        my %q = map { my ($k, $v) = split /=/, $_, 2; ($k => unescape($v // '')) }
                grep { length } split /&/, $query;

        if ($path eq '/jwks') {
            $state{count}++;
            $state{seen} = join '', @headers;
            my $mode = $state{mode};
            my @extra = length $state{cache_control} ? ("Cache-Control: $state{cache_control}") : ();
            if ($mode eq '500') {
                reply($c, 500, 'text/plain', "provider down\n");
            } elsif ($mode eq 'garbage') {
                reply($c, 200, 'application/json', '{"keys":[{"kty":"RSA",', @extra);
            } elsif ($mode eq 'empty') {
                reply($c, 200, 'application/json', '{"keys":[]}', @extra);
            } elsif ($mode eq 'huge') {
                reply($c, 200, 'application/json', '{"keys":[],"pad":"' . ('x' x (2 << 20)) . '"}');
            } elsif ($mode eq 'slow') {
                sleep 2.5;
                reply($c, 200, 'application/json', $versions->{$state{version}}, @extra);
            } else {
                reply($c, 200, 'application/json', $versions->{$state{version}} // '{}', @extra);
            }
        } elsif ($path eq '/control') {
            for my $k (qw(version mode cache_control)) {
                $state{$k} = $q{$k} if exists $q{$k};
            }
            reply($c, 200, 'text/plain', "ok\n");
        } elsif ($path eq '/seen') {
            reply($c, 200, 'text/plain', $state{seen} // '');
        } elsif ($path eq '/count') {
            reply($c, 200, 'text/plain', "fetches=$state{count}\n");
        } elsif ($path eq '/reset') {
            $reset->();
            reply($c, 200, 'text/plain', "ok\n");
        } elsif ($path eq '/sleep') {
            sleep(($q{ms} // 1000) / 1000);
            reply($c, 200, 'text/plain', "slept\n");
        } else {
            reply($c, 404, 'text/plain', "no such stub path\n");
        }
        close $c;
    }
}

sub reply {
    my ($c, $status, $type, $body, @headers) = @_;
    local $SIG{PIPE} = 'IGNORE';
    print {$c} "HTTP/1.1 $status X\r\nContent-Type: $type\r\nContent-Length: "
        . length($body) . "\r\nConnection: close\r\n"
        . join('', map { "$_\r\n" } @headers) . "\r\n" . $body;
}

sub unescape { my $s = shift; $s =~ s/%([0-9A-Fa-f]{2})/chr hex $1/ge; $s }

1;
