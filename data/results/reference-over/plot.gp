# mixrate plot: gnuplot plot.gp (in this directory)
if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) {
    set terminal pngcairo size 900,640 enhanced font 'sans,11'; set output 'plot.png'
} else { if (strstrt(GPVAL_TERMINALS, ' png ') > 0) {
    set terminal png size 900,640; set output 'plot.png'
} else {
    set terminal svg size 900,640; set output 'plot.svg'
} }
set datafile separator ','
set logscale xy
set offsets graph 0.03, graph 0.03, 0, 0
set format x '10^{%T}'
set xlabel 'sample size N'
set ylabel 'D2 loss'
set title "softmax, k = 3 fitted, k* = 2 true, grid design, near-truth start" noenhanced
set key bottom left box opaque
set grid
slope = -1.5270983293443274; intercept = 18.093462970901328
f(x) = exp(intercept) * x**slope
plot 'results.csv' skip 1 using 1:4 with points pt 7 ps 0.25 lc rgb '#b0b0b0' title 'replicates', \
     'summary.csv' skip 1 using 1:3 with points pt 7 ps 0.8 lc rgb '#1f4e9c' title 'mean over 40 replicates', \
     f(x) with lines lw 2 lc rgb '#c0392b' title sprintf('least squares: slope %.3f, 95%% CI [%.3f, %.3f]', slope, -2.0179553429511796, -1.0362413157374752)
