package EdgeAuthTest;

# Keys and tokens for the Test::Nginx::Socket suites, minted with the edge-auth tool (an
# implementation independent of the module's verifier).
#
#     use lib 't/helpers';
#     use EdgeAuthTest;
#
#     gen_key(name => 'rsa1', kty => 'RSA', kid => 'rsa1');
#     gen_key(name => 'ec1',  kty => 'EC',  crv => 'P-256', kid => 'ec1');
#     $ENV{TEST_NGINX_JWKS} = write_jwks('jwks.json', 'rsa1', 'ec1');   # config: $TEST_NGINX_JWKS
#
#     my $ok      = sign(key => 'rsa1', claims => { sub => 'alice', iss => 'https://idp' },
#                        ttl => 3600);
#     my $expired = sign(key => 'rsa1', claims => { sub => 'alice' }, ttl => -10);
#     my $none    = sign(key => 'rsa1', alg => 'none', claims => { sub => 'alice' });
#     my $crafted = sign(key => 'rsa1', raw_header => '{"alg":"RS256","alg":"none"}',
#                        raw => '{"sub":"a"}');
#     my $bad     = tamper_signature($ok);
#
# Everything dies (with the tool's message) on failure, so a broken fixture fails loudly instead
# of producing a token that is rejected for the wrong reason.

use strict;
use warnings;

use Carp qw(croak);
use Cwd qw(abs_path);
use Exporter qw(import);
use File::Basename qw(dirname);
use File::Spec;
use File::Temp qw(tempdir);
use JSON::PP ();

our @EXPORT = qw(cli key_dir gen_key key_path write_jwks sign b64url b64url_decode
                 tamper_signature session_keys seal_session);

my $ROOT = dirname(dirname(dirname(abs_path(__FILE__))));   # t/helpers/X.pm -> project root
my $JSON = JSON::PP->new->canonical;                          # stable bytes for stable tokens

# Path of the edge-auth binary: $EDGE_AUTH_CLI (set by `make integration`), else build/edge-auth.
sub cli {
    my $path = $ENV{EDGE_AUTH_CLI} || File::Spec->catfile($ROOT, 'build', 'edge-auth');
    croak "edge-auth not found at $path (make cli, or set EDGE_AUTH_CLI)" unless -x $path;
    return $path;
}

# A directory for this process's keys, removed at exit. File::Temp only cleans up in the
# process that created it, so nginx children forked by the test runner leave it alone.
my $KEY_DIR;
sub key_dir {
    $KEY_DIR //= do {
        my $d = tempdir('edge-auth-keys-XXXXXX', TMPDIR => 1, CLEANUP => 1);
        # nginx workers may run unprivileged and read the JWKS written here.
        chmod 0755, $d;
        $d;
    };
    return $KEY_DIR;
}

# Runs the tool with a list of arguments (no shell, so JSON needs no quoting) and returns its
# stdout without the trailing newline.
sub _run {
    my @args = @_;
    my $cli = cli();
    open(my $fh, '-|', $cli, @args) or croak "cannot run $cli: $!";
    my $out = do { local $/; <$fh> } // '';
    close($fh);
    croak "edge-auth $args[0] failed (exit " . ($? >> 8) . ')' if $?;
    $out =~ s/\n\z//;
    return $out;
}

sub _write {
    my ($path, $data) = @_;
    open(my $fh, '>', $path) or croak "$path: $!";
    print {$fh} $data;
    close($fh) or croak "$path: $!";
    return $path;
}

# Path of a key written by gen_key, or the argument itself when it already is a path.
sub key_path {
    my ($name) = @_;
    return $name if $name =~ m{/};
    my $path = File::Spec->catfile(key_dir(), "$name.jwk");
    croak "no key named '$name': call gen_key(name => '$name', ...) first" unless -e $path;
    return $path;
}

# gen_key(name => 'rsa1', kty => 'RSA'|'EC'|'OKP'|'oct', bits => 2048, e => 65537,
#         crv => 'P-256', size => 32, kid => 'k', alg => 'RS256', use => 'sig',
#         key_ops => ['verify'] or 'verify,sign')
# Writes <key_dir>/<name>.jwk (private) once and returns its path; later calls with the same name
# return the same key, so every test block can declare the keys it uses.
my %GENERATED;
sub gen_key {
    my %o = @_;
    my $name = delete $o{name} or croak 'gen_key: name is required';
    croak "gen_key: bad name '$name'" unless $name =~ /^[\w.-]+$/;
    my $path = File::Spec->catfile(key_dir(), "$name.jwk");
    return $path if $GENERATED{$name};

    my @args = ('jwk-gen', '--kty', delete $o{kty} // croak 'gen_key: kty is required');
    my $ops = delete $o{key_ops};
    push @args, '--key-ops', ref $ops ? join(',', @$ops) : $ops if defined $ops;
    for my $opt (qw(bits e crv size kid alg use)) {
        my $v = delete $o{$opt};
        push @args, "--$opt", $v if defined $v;
    }
    croak 'gen_key: unknown option(s) ' . join(', ', sort keys %o) if %o;

    _write($path, _run(@args) . "\n");
    chmod 0600, $path;
    $GENERATED{$name} = 1;
    return $path;
}

# write_jwks($file, @key_names): the public JWKS of the named keys (oct keys included whole).
# A bare file name is placed in key_dir(); returns the path written.
sub write_jwks {
    my ($file, @names) = @_;
    croak 'write_jwks: no keys given' unless @names;
    my $path = $file =~ m{/} ? $file : File::Spec->catfile(key_dir(), $file);
    _write($path, _run('jwks-public', map { key_path($_) } @names) . "\n");
    chmod 0644, $path;
    return $path;
}

# sign(key => 'rsa1',                 a gen_key name or a JWK path (optional for alg 'none'
#                                     or when signature is given)
#      claims => {...} | raw => '...' | claims_b64 => '...',
#                                     claims hash (canonical JSON), verbatim payload bytes (any,
#                                     NUL included), or the payload segment verbatim
#      ttl => 3600, now => time,      adds iat = now, exp = now + ttl to a claims hash (claims
#                                     already present win); not with raw/claims_b64
#      header => {...} | raw_header => '...' | header_b64 => '...',
#                                     the whole header, likewise; default
#                                     {"alg":..,"typ":"JWT","kid":<key's kid>}
#      kid => 'k' | no_kid => 1, typ => 'T' | no_typ => 1,   tweaks of the default header
#      alg => 'RS256',                signing alg (default: the key's alg or its type's default)
#      signature => 'b64url')         signature segment verbatim, nothing signed
# Strings may be Perl character strings (use utf8) or UTF-8 bytes (see _bytes). Returns the
# compact token.
sub sign {
    my %o = @_;
    my @args = ('jwt-sign');
    my %v = map { $_ => delete $o{$_} } qw(key alg kid typ no_kid no_typ signature);
    push @args, '--key', key_path($v{key}) if defined $v{key};
    push @args, '--alg', $v{alg} if defined $v{alg};

    my %c = map { $_ => delete $o{$_} } qw(claims raw claims_b64 ttl now);
    croak 'sign: give one of claims, raw, claims_b64' if _count(@c{qw(claims raw claims_b64)}) > 1;
    croak 'sign: ttl needs a claims hash' if defined $c{ttl} && _count(@c{qw(raw claims_b64)});
    if (defined $c{claims_b64}) {
        push @args, '--claims-b64', $c{claims_b64};
    } elsif (defined $c{raw}) {
        push @args, '--claims-b64', b64url(_bytes($c{raw}, 1));
    } else {
        my %claims = %{ $c{claims} // {} };
        if (defined $c{ttl}) {
            my $now = $c{now} // time;
            $claims{iat} //= $now;
            $claims{exp} //= $now + $c{ttl};
        }
        push @args, '--claims-b64', b64url(_bytes($JSON->encode(\%claims)));
    }

    my %h = map { $_ => delete $o{$_} } qw(header raw_header header_b64);
    croak 'sign: give one of header, raw_header, header_b64' if _count(values %h) > 1;
    if (defined $h{header_b64}) {
        push @args, '--header-b64', $h{header_b64};
    } elsif (defined $h{raw_header} || defined $h{header}) {
        push @args, '--header-b64', b64url(
            defined $h{raw_header} ? _bytes($h{raw_header}, 1) : _bytes($JSON->encode($h{header})));
    }
    push @args, '--kid', $v{kid} if defined $v{kid};
    push @args, '--typ', $v{typ} if defined $v{typ};
    push @args, '--no-kid' if $v{no_kid};
    push @args, '--no-typ' if $v{no_typ};
    push @args, '--signature-b64', $v{signature} if defined $v{signature};
    croak 'sign: unknown option(s) ' . join(', ', sort keys %o) if %o;

    return _run(@args);
}

sub _count { return scalar grep { defined } @_ }

# The bytes to put in a token. Perl cannot tell a UTF-8 byte string from Latin-1 characters, so:
# characters above U+00FF are always UTF-8 encoded; otherwise a verbatim (raw) string is taken as
# bytes, so tests can send invalid UTF-8, and JSON built from a hash is kept as is when it is
# already valid UTF-8 (a byte-string literal) and encoded when it is not (a `use utf8` "é").
sub _bytes {
    my ($s, $verbatim) = @_;
    if ($s =~ /[^\x00-\xff]/) {
        utf8::encode($s);
        return $s;
    }
    utf8::downgrade($s);
    my $probe = $s;
    utf8::encode($s) unless $verbatim || utf8::decode($probe);
    return $s;
}

# session_keys($file, @secret_names): a session key file holding the named secrets, first one
# sealing (each name is generated once with `edge-auth keygen` and reused, so a test can rotate
# by listing names in another order). Returns the path.
my %SECRETS;
sub session_keys {
    my ($file, @names) = @_;
    croak 'session_keys: no secrets given' unless @names;
    my $text = '';
    for my $n (@names) {
        $SECRETS{$n} //= _run('keygen');
        $text .= "$SECRETS{$n}\n";
    }
    my $path = $file =~ m{/} ? $file : File::Spec->catfile(key_dir(), $file);
    _write($path, $text);
    chmod 0600, $path;
    return $path;
}

# seal_session(keys => PATH, provider => 'p', cookie => 'NAME', session => {...} | json => '...',
#              now => UNIX, ttl => SECONDS, idle => SECONDS)
# The cookies of a sealed session, as a list of "name=value" strings (one per chunk).
sub seal_session {
    my %o = @_;
    my @args = ('seal', '--keys', delete $o{keys}, '--provider', delete $o{provider},
                '--cookie', delete $o{cookie});
    my ($session, $json) = (delete $o{session}, delete $o{json});
    push @args, '--json', $json // $JSON->encode($session // {});
    for my $opt (qw(now ttl idle realm)) {
        my $v = delete $o{$opt};
        push @args, "--$opt", $v if defined $v;
    }
    croak 'seal_session: unknown option(s) ' . join(', ', sort keys %o) if %o;
    return split /\n/, _run(@args);
}

# base64url without padding (RFC 7515 §2).
sub b64url {
    my ($bytes) = @_;
    require MIME::Base64;
    my $s = MIME::Base64::encode_base64($bytes, '');
    $s =~ tr{+/}{-_};
    $s =~ s/=+$//;
    return $s;
}

sub b64url_decode {
    my ($text) = @_;
    require MIME::Base64;
    (my $s = $text) =~ tr{-_}{+/};
    $s .= '=' x ((4 - length($s) % 4) % 4);
    return MIME::Base64::decode_base64($s);
}

# The same token with one bit of the signature flipped: still well-formed base64url of the right
# length, so a verifier must reject it for the signature itself, not for its encoding.
sub tamper_signature {
    my ($token) = @_;
    my ($h, $p, $s) = split /\./, $token, -1;
    croak 'tamper_signature: not a compact JWS' unless defined $s && $token =~ tr/.// == 2;
    croak 'tamper_signature: the token has no signature' if $s eq '';
    my $sig = b64url_decode($s);
    # Flip a bit in the middle byte: the first bytes of an RSA signature or an ECDSA r can be
    # zero padding that some verifiers treat specially.
    my $i = int(length($sig) / 2);
    substr($sig, $i, 1) = chr(ord(substr($sig, $i, 1)) ^ 0x01);
    return join '.', $h, $p, b64url($sig);
}

1;
