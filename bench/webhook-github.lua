-- wrk script: the request of bench/gateway.lua (a GitHub-signed 1 KiB body, its own
-- X-GitHub-Delivery on each request) sent to adnanh/webhook's /hooks/github instead of
-- Hookline's /in/bench, so both are driven the same way. bench/webhook.sh sets the variables
-- and runs wrk from the repository's top, where this path is.
dofile("bench/gateway.lua")
wrk.path = "/hooks/github"
