#!/bin/sh
# Re-records environments/tapes-weather/weather.json against fake_api.py (standing in for the
# real weather API): a copy of the manifest whose link points at the stand-in, run once with
# --tapes record and the check's two requests. Run from the repository's root:
#   sh environments/tapes-weather/record.sh [path/to/testbed]
set -eu
testbed=${1:-testbed}
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
python3 environments/tapes-weather/fake_api.py "$port" &
api=$!
trap 'kill $api 2>/dev/null; rm -f environments/.tapes-weather-record.yml' EXIT
sleep 0.5
sed "s|to: https://api.weather.example/v2 .*|to: http://127.0.0.1:$port/v2|" environments/tapes-weather.yml \
    > environments/.tapes-weather-record.yml
"$testbed" run --tapes record environments/.tapes-weather-record.yml -- sh -c \
    'curl -fsS "$OUTLOOK_URL/outlook?city=Oslo" && curl -fsS "$OUTLOOK_URL/outlook?city=Cairo"'
