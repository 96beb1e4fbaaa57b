package Test::Nginx::Util;

# Server side of the bundled Test::Nginx-compatible runner: settings, the server
# root, nginx.conf generation, starting/stopping nginx and reading error.log.
# Test::Nginx::Socket (the part test files use) drives requests and checks.
#
# nginx runs in the foreground ("daemon off") as a child of the test process,
# so we always know its exact pid, can waitpid() it, notice if it dies, and
# capture whatever it writes to stderr (sanitizer reports, early errors).
# A fresh nginx is started for every block and stopped when the block ends.

use strict;
use warnings;

use File::Path qw(make_path remove_tree);
use File::Spec;
use POSIX qw(WNOHANG SIGQUIT SIGTERM SIGKILL);
use Time::HiRes qw(sleep time);
use Exporter 'import';

our @EXPORT = qw(
    repeat_each no_shuffle master_on master_off workers worker_connections
    log_level no_long_string no_root_location add_block_preprocessor
    add_cleanup_handler env_to_nginx server_name server_port server_addr
    server_port_for_client html_dir server_root servroot bail_out timeout
    config_preamble check_accum_error_log
);

our @EXPORT_OK = qw(
    setup_server_root write_user_files write_config_file start_nginx stop_nginx
    error_log_data read_file_lines expand_env parse_time nginx_version
    kill_stale_nginx cleanup
);

# ---- settings (same environment variables as the real Test::Nginx) ----------

our $NginxBinary   = $ENV{TEST_NGINX_BINARY} || 'nginx';
our $ServerAddr    = '127.0.0.1';
our $ServerName    = 'localhost';
our $ServerPort    = $ENV{TEST_NGINX_SERVER_PORT} || $ENV{TEST_NGINX_PORT} || 1984;
our $ServerPortForClient = $ENV{TEST_NGINX_CLIENT_PORT} || $ServerPort;
# Absolute, since nginx resolves relative paths in its config against it.
our $ServRoot      = File::Spec->rel2abs($ENV{TEST_NGINX_SERVROOT} || 't/servroot');
our $LogDir        = "$ServRoot/logs";
our $ErrLogFile    = "$LogDir/error.log";
our $AccLogFile    = "$LogDir/access.log";
our $StderrFile    = "$LogDir/nginx.stderr";   # nginx's own stderr, ours only
our $HtmlDir       = "$ServRoot/html";
our $ConfDir       = "$ServRoot/conf";
our $ConfFile      = "$ConfDir/nginx.conf";
our $PidFile       = "$LogDir/nginx.pid";

our $RepeatEach        = 1;
our $Workers           = 1;
our $MasterProcessEnabled = $ENV{TEST_NGINX_MASTER_PROCESS} || 'off';
our $WorkerConnections = 64;
our $LogLevel          = $ENV{TEST_NGINX_LOG_LEVEL} || 'debug';
our $NoShuffle         = $ENV{TEST_NGINX_NO_SHUFFLE} || 0;
our $NoRootLocation    = 0;
our $NoLongString      = 0;
our $CheckAccumErrLog  = 0;
our $ConfigPreamble    = '';
our $Timeout           = $ENV{TEST_NGINX_TIMEOUT} || 3;
our $TestNginxSleep    = $ENV{TEST_NGINX_SLEEP} || 0.015;
our $NoClean           = $ENV{TEST_NGINX_NO_CLEAN} || 0;
our $EventType         = $ENV{TEST_NGINX_EVENT_TYPE};
our $StartupTimeout    = 15;   # seconds; generous for sanitizer builds
our @EnvToNginx;
our @BlockPreprocessors;
our @CleanupHandlers;

our $NginxPid;             # the running nginx (our child), if any
our $ErrLogFilePos = 0;    # error.log offset already handed to checks

# Setters return the current value when called without arguments, like the
# real runner's.
sub repeat_each        { $RepeatEach = shift if @_; $RepeatEach }
sub workers            { $Workers = shift if @_; $Workers }
sub worker_connections { $WorkerConnections = shift if @_; $WorkerConnections }
sub log_level          { $LogLevel = shift if @_; $LogLevel }
sub timeout            { $Timeout = shift if @_; $Timeout }
sub server_name        { $ServerName = shift if @_; $ServerName }
sub server_port        { $ServerPort = shift if @_; $ServerPort }
sub server_port_for_client { $ServerPortForClient = shift if @_; $ServerPortForClient }
sub server_addr        { $ServerAddr = shift if @_; $ServerAddr }
sub config_preamble    { $ConfigPreamble = shift if @_; $ConfigPreamble }
sub master_on          { $MasterProcessEnabled = 'on' }
sub master_off         { $MasterProcessEnabled = 'off' }
sub no_shuffle         { $NoShuffle = 1 }
sub no_root_location   { $NoRootLocation = 1 }
sub no_long_string     { $NoLongString = 1 }   # only affects diagnostics upstream
sub check_accum_error_log { $CheckAccumErrLog = 1 }
sub html_dir           { $HtmlDir }
sub server_root        { $ServRoot }
sub servroot           { $ServRoot }
sub env_to_nginx       { push @EnvToNginx, @_ }
sub add_block_preprocessor (&) { push @BlockPreprocessors, shift }
sub add_cleanup_handler { push @CleanupHandlers, shift }

sub bail_out {
    cleanup();
    Test::More::BAIL_OUT(join '', @_);
}

sub cleanup {
    $_->() for @CleanupHandlers;
    @CleanupHandlers = ();
    stop_nginx() unless $NoClean;
}

# "50ms", "1.5s" or plain seconds.
sub parse_time {
    my $t = shift;
    return undef unless defined $t;
    $t =~ s/^\s+|\s+$//g;
    return $1 / 1000 if $t =~ /^([\d.]+)ms$/;
    return $1 if $t =~ /^([\d.]+)s?$/;
    return $t;
}

# $TEST_NGINX_FOO -> $ENV{TEST_NGINX_FOO}. In nginx config sections an unset
# variable is an error (as upstream); elsewhere it is left as written.
sub expand_env {
    my ($text, $strict) = @_;
    return $text unless defined $text && !ref $text;
    $text =~ s{\$(TEST_NGINX_[_A-Z0-9]+)}{
        defined $ENV{$1} ? $ENV{$1}
        : $strict ? die "No environment $1 defined.\n" : "\$$1"
    }ge;
    return $text;
}

my $nginx_version;
# "1.22.1" -> 1.022001, for skip_nginx comparisons and feature checks.
sub nginx_version {
    return $nginx_version if defined $nginx_version;
    my $out = `$NginxBinary -v 2>&1`;
    $nginx_version = $out =~ m{nginx/(\d+)\.(\d+)\.(\d+)}
        ? sprintf('%d.%03d%03d', $1, $2, $3) : 0;
    return $nginx_version;
}

# ---- server root and files ---------------------------------------------------

sub setup_server_root {
    # Remove only what we create, so a mistaken TEST_NGINX_SERVROOT cannot
    # wipe unrelated data.
    remove_tree($ConfDir, $HtmlDir, $LogDir, glob("$ServRoot/*_temp"));
    make_path($ServRoot, $LogDir, $HtmlDir, $ConfDir);
    write_file("$HtmlDir/index.html",
               '<html><head><title>It works!</title></head><body>It works!</body></html>');
}

sub write_file {
    my ($path, $data) = @_;
    open my $fh, '>', $path or die "cannot write $path: $!\n";
    binmode $fh;
    print $fh $data;
    close $fh or die "cannot write $path: $!\n";
}

# "--- user_files": ">>> name [timestamp]" headers followed by the content,
# or (with eval) [[name, content, timestamp], ...].
sub write_user_files {
    my $block = shift;
    my $spec = $block->user_files;
    return unless defined $spec;
    my @files;
    if (ref $spec eq 'ARRAY') {
        @files = @$spec;
    } else {
        for my $line (split /^/m, $spec) {
            if ($line =~ /^>>> (\S+)(?:\s+(\S+))?/) {
                push @files, [$1, '', $2];
            } elsif (@files) {
                $files[-1][1] .= $line;
            }
        }
    }
    for my $f (@files) {
        my ($name, $body, $date) = @$f;
        my $path = $name =~ m{^/} ? $name : "$HtmlDir/$name";
        (my $dir = $path) =~ s{/[^/]*$}{};
        make_path($dir);
        write_file($path, expand_env(defined $body ? $body : ''));
        if ($date) {
            local $ENV{TZ} = 'GMT';   # the timestamp is in GMT, as upstream
            system('touch', '-t', $date, $path) == 0
                or die "touch -t $date $path failed\n";
        }
    }
}

sub write_config_file {
    my ($block, $config) = @_;
    my $main_config = expand_env(scalar($block->main_config), 1);
    my $http_config = expand_env(scalar($block->http_config), 1);
    my $post_main   = expand_env(scalar($block->post_main_config), 1);
    my $level = $block->log_level || $LogLevel;
    (my $server_name = defined $block->server_name ? $block->server_name : $ServerName)
        =~ s/(['\\])/\\$1/g;
    $_ = defined $_ ? $_ : '' for $main_config, $http_config, $post_main, $config;
    my $env = join '', map { "env $_;\n" } 'LD_PRELOAD', 'ASAN_OPTIONS', @EnvToNginx;
    my $temp = join '', map { "    ${_}_temp_path $ServRoot/${_}_temp;\n" }
                        qw(client_body proxy fastcgi uwsgi scgi);
    my $root = $NoRootLocation ? '' : <<"EOC";
        location / {
            root $HtmlDir;
            index index.html index.htm;
        }
EOC
    my $use = $EventType ? "    use $EventType;\n" : '';
    my $name = $block->name;
    $name =~ s/\n/ /g;

    write_file($ConfFile, <<"EOC");
# generated for: $name
worker_processes $Workers;
daemon off;
master_process $MasterProcessEnabled;
error_log $ErrLogFile $level;
pid $PidFile;
$env
$main_config

http {
    access_log $AccLogFile;
    default_type text/plain;
    keepalive_timeout 68;
$temp
$http_config

    server {
        listen $ServerAddr:$ServerPort;
        server_name '$server_name';
        client_max_body_size 30M;

$ConfigPreamble
$config

$root    }
}

$post_main

events {
    accept_mutex off;
    worker_connections $WorkerConnections;
$use}
EOC
}

# ---- nginx process -------------------------------------------------------------

sub is_alive { my $pid = shift; return $pid && kill(0, $pid) }

# An nginx left behind by an interrupted run (or TEST_NGINX_NO_CLEAN) would
# hold the port: stop it if the pid file still names a live nginx process.
sub kill_stale_nginx {
    return unless -f $PidFile;
    my ($pid) = read_file_lines($PidFile);
    return unless defined $pid && $pid =~ /^(\d+)/;
    $pid = $1;
    return if defined $NginxPid && $pid == $NginxPid;
    open my $fh, '<', "/proc/$pid/cmdline" or return;
    my $cmd = do { local $/; <$fh> };
    return unless defined $cmd && $cmd =~ /nginx/;
    kill SIGQUIT, $pid;
    for (1 .. 100) {
        return unless is_alive($pid) && !is_zombie($pid);
        sleep 0.05;
    }
    kill SIGKILL, $pid;
}

sub child_count {
    my $ppid = shift;
    my $n = 0;
    for my $stat (glob '/proc/[0-9]*/stat') {
        open my $fh, '<', $stat or next;
        my $line = <$fh>;
        $n++ if defined $line && $line =~ /^\d+ \(.*\) \S+ (\d+) /s && $1 == $ppid;
    }
    return $n;
}

sub is_zombie {
    my $pid = shift;
    open my $fh, '<', "/proc/$pid/stat" or return 1;
    return <$fh> =~ /^\d+ \(.*\) Z/;
}

# Returns (1) once nginx has written its pid file, which it does only after
# the configuration was loaded and the listening sockets were bound; or
# (0, $exit_status) if it exited first; or (0, undef) if it did neither in time.
sub start_nginx {
    unlink $PidFile;
    my @cmd = (split(' ', $NginxBinary), '-p', "$ServRoot/", '-c', $ConfFile);
    # "-e" (nginx >= 1.19.5) sends errors found while reading the config to
    # error.log instead of the binary's default log (stderr on Debian), so
    # "--- must_die" blocks see them in error.log as with a source-built nginx.
    push @cmd, '-e', $ErrLogFile if nginx_version() >= 1.019005;

    my $pid = fork;
    die "fork failed: $!\n" unless defined $pid;
    if ($pid == 0) {
        open STDIN, '<', '/dev/null';
        open STDOUT, '>', '/dev/null';
        open STDERR, '>>', $StderrFile;
        # The sanitizer runtime is preloaded into nginx only, never into perl.
        $ENV{LD_PRELOAD} = $ENV{TEST_NGINX_LD_PRELOAD} if $ENV{TEST_NGINX_LD_PRELOAD};
        no warnings 'exec';
        exec { $cmd[0] } @cmd;
        print STDERR "exec @cmd failed: $!\n";
        POSIX::_exit(127);
    }

    my $deadline = time + $StartupTimeout;
    while (time < $deadline) {
        if (waitpid($pid, WNOHANG) == $pid) {
            return (0, $?);
        }
        if (-s $PidFile) {
            my ($written) = read_file_lines($PidFile);
            # With a master process, also wait for all the workers, so that
            # requests can spread over them from the first one on.
            if (defined $written && $written =~ /^\s*$pid\s*$/
                && ($MasterProcessEnabled ne 'on'
                    || child_count($pid) >= ($Workers =~ /^\d+$/ ? $Workers : 1))) {
                $NginxPid = $pid;
                return (1);
            }
        }
        sleep 0.005;
    }
    $NginxPid = $pid;
    stop_nginx();
    return (0, undef);
}

# Graceful stop (SIGQUIT), escalating to SIGTERM and SIGKILL. Returns the wait
# status, plus a flag telling whether nginx had already exited on its own.
sub stop_nginx {
    my $pid = $NginxPid;
    return unless $pid;
    undef $NginxPid;
    if (waitpid($pid, WNOHANG) == $pid) {
        return ($?, 1);
    }
    for my $sig (SIGQUIT, SIGTERM, SIGKILL) {
        kill $sig, $pid;
        my $deadline = time + ($sig == SIGKILL ? 30 : 10);
        while (time < $deadline) {
            return ($?, 0) if waitpid($pid, WNOHANG) == $pid;
            sleep 0.005;
        }
        warn "WARNING: nginx $pid did not exit on signal $sig\n";
    }
    return (undef, 0);
}

sub read_file_lines {
    my ($path, $offset) = @_;
    open my $fh, '<', $path or return;
    seek $fh, $offset, 0 if $offset;
    my @lines = <$fh>;
    return wantarray ? @lines : \@lines;
}

# Lines appended to error.log since the previous call (all of them with
# check_accum_error_log()). The short sleep lets log-phase messages land.
sub error_log_data {
    sleep $TestNginxSleep * 3;
    open my $fh, '<', $ErrLogFile or return [];
    seek $fh, $ErrLogFilePos, 0 unless $CheckAccumErrLog;
    my @lines = <$fh>;
    $ErrLogFilePos = tell $fh unless $CheckAccumErrLog;
    return \@lines;
}

# Make sure nginx does not outlive the test process when it is interrupted.
# (PIPE too: "prove ... | head" would otherwise orphan nginx.)
my %signo = (HUP => 1, INT => 2, PIPE => 13, TERM => 15);
for my $sig (keys %signo) {
    $SIG{$sig} = sub { cleanup(); exit 128 + $signo{$sig} };
}

END {
    my $status = $?;
    cleanup();
    $? = $status;
}

1;
