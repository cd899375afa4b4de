package io.sluice.pps;

import org.junit.jupiter.api.Test;

import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

class CronScheduleTest {

    private static Instant next(String spec, String after) {
        return CronSchedule.parse(spec).next(Instant.parse(after));
    }

    @Test
    void standardFieldsAndDescriptorsGiveTheNextTickInUtc() {
        assertThat(next("*/15 * * * *", "2024-03-01T10:07:30Z")).isEqualTo("2024-03-01T10:15:00Z");
        assertThat(next("0 9 * * MON-FRI", "2024-03-01T10:00:00Z")).isEqualTo("2024-03-04T09:00:00Z"); // Fri -> Mon
        assertThat(next("0 0 1 JAN *", "2024-03-01T00:00:00Z")).isEqualTo("2025-01-01T00:00:00Z");
        assertThat(next("0 0 31 * *", "2024-04-01T00:00:00Z")).isEqualTo("2024-05-31T00:00:00Z");
        // both day fields restricted: either matches, as in cron
        assertThat(next("0 0 13 * 5", "2024-03-01T12:00:00Z")).isEqualTo("2024-03-08T00:00:00Z");
        assertThat(next("@daily", "2024-03-01T10:00:00Z")).isEqualTo("2024-03-02T00:00:00Z");
        assertThat(next("@hourly", "2024-03-01T10:00:00Z")).isEqualTo("2024-03-01T11:00:00Z");
        assertThat(next("@every 90s", "2024-03-01T10:00:00.400Z")).isEqualTo("2024-03-01T10:01:30Z");
        assertThat(next("@never", "2024-03-01T10:00:00Z")).isNull();
        assertThat(next("0 0 30 2 *", "2024-03-01T10:00:00Z")).isNull(); // February 30th never comes
    }
}
