-- line 1
CREATE TABLE t1 (id int);
/*
 comment */
INSERT INTO t1 VALUES (1);

SELECT 1; SELEC 2 FROM t1;
SELECT 3;
