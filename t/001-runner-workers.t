# Self-test of the bundled runner with a master process and two workers
# (file-level settings, hence a file of its own). Stock nginx only.

use Test::Nginx::Socket 'no_plan';

master_on();
workers(2);
repeat_each(2);
no_root_location();   # lets TEST 4 define its own "location /"

my %served_by;

# Every /pid response must come from a worker of the current nginx, and that
# nginx must have exactly two workers.
add_response_body_check(sub {
    my ($block, $body) = @_;
    return unless $block->name =~ /worker pids/;
    open my $fh, '<', $Test::Nginx::Util::PidFile or die "no pid file: $!";
    chomp(my $master = <$fh>);
    my @workers;
    for my $stat (glob '/proc/[0-9]*/stat') {
        open my $fh, '<', $stat or next;
        my $line = <$fh>;
        push @workers, $1 if defined $line && $line =~ /^(\d+) \(.*\) \S+ $master /s;
    }
    is(scalar @workers, 2, "master $master has two workers");
    ok((grep { $_ eq $body } @workers), "response from worker $body, not the master");
    $served_by{$body}++;
});

run_tests();

diag(scalar(keys %served_by) . " distinct worker pids served the /pid requests");

__DATA__

=== TEST 1: worker pids
--- config
    location = /pid {
        return 200 "$pid";
    }
--- request eval
[map { "GET /pid" } 1 .. 8]
--- response_body_like eval
[map { qr/^\d+$/ } 1 .. 8]
--- no_error_log
[alert]
[emerg]



=== TEST 2: both workers were started
--- config
    location = /t {
        return 200 "ok\n";
    }
--- request
GET /t
--- response_body
ok
--- grep_error_log eval
qr/start worker process(?= \d)/
--- grep_error_log_out eval
["start worker process\nstart worker process\n", ""]



=== TEST 3: large request body goes through the worker's temp files
--- config
    location = /echo {
        client_body_buffer_size 1k;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/reflect;
    }
    location = /reflect {
        return 200 "len=$http_content_length\n";
    }
--- request eval
"POST /echo\n" . ("x" x 20000)
--- response_body
len=20000
--- error_log
a client request body is buffered to a temporary file
--- no_error_log
[alert]
[crit]



=== TEST 4: no_root_location() leaves "location /" to the block
--- config
    location / {
        return 200 "own root\n";
    }
--- request
GET /
--- response_body
own root
